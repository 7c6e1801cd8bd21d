import AttendIR

/// Kernels for pooling, layout, resampling, position-embedding and weight-packing ops.
enum KernelGroupB {
    static let table: [String: Kernel] = [
        "avgpool2d": PoolingKernels.avgPool,
        "maxpool2d": PoolingKernels.maxPool,
        "avgpool3d": PoolingKernels.avgPool,
        "maxpool3d": PoolingKernels.maxPool,
        "adaptive_avgpool2d": PoolingKernels.adaptiveAvgPool2d,
        "adaptive_maxpool2d": PoolingKernels.adaptiveMaxPool2d,
        "reshape": LayoutKernels.reshape,
        "flatten": LayoutKernels.reshape,
        "permute": LayoutKernels.permute,
        "transpose": LayoutKernels.transpose,
        "concat": LayoutKernels.concat,
        "split": LayoutKernels.split,
        "unbind": LayoutKernels.unbind,
        "slice": LayoutKernels.slice,
        "expand": LayoutKernels.expand,
        "pad": ResampleKernels.pad,
        "interpolate": ResampleKernels.interpolate,
        "pack_panels": PackingKernels.packPanels,
        "winograd_filter": PackingKernels.winogradFilter,
        "sine_position_embedding": PositionKernels.sinePositionEmbedding,
    ]
}
