#!/usr/bin/env bash
# Regenerates onnx.pb.swift, the Swift messages for onnx.proto, once; the result is committed
# so builds never run protoc. Needs protoc (apt-get install protobuf-compiler), the onnx pip
# package (whose onnx.proto is the schema) and protoc-gen-swift built from the same
# swift-protobuf release as Package.swift names:
#   git clone https://github.com/apple/swift-protobuf && cd swift-protobuf && git checkout 1.39.0
#   swift build -c release --product protoc-gen-swift
#   Sources/AttendExport/Generated/regenerate.sh PATH/TO/.build/release/protoc-gen-swift
set -euo pipefail
plugin=${1:?usage: regenerate.sh PATH/TO/protoc-gen-swift}
here=$(cd "$(dirname "$0")" && pwd)
proto_dir=$(python3 -c 'import onnx, os; print(os.path.dirname(onnx.__file__))')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# onnx.proto imports nothing; copying it alone keeps the generated file's name onnx.pb.swift.
cp "$proto_dir/onnx.proto" "$work/onnx.proto"
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$work" --swift_out="$work" \
    --swift_opt=Visibility=Internal "$work/onnx.proto"
# swift-protobuf re-matches a oneof case its enclosing `switch` already matched; mark those
# traps as the internal invariants they are.
sed 's|else { preconditionFailure() }$|else { preconditionFailure() }  // internal invariant: the enclosing switch matched this case|' \
    "$work/onnx.pb.swift" > "$here/onnx.pb.swift"
echo "wrote $here/onnx.pb.swift from onnx $(python3 -c 'import onnx; print(onnx.__version__)')"
