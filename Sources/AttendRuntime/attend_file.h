/*
 * Private to the runtime: opening an input file (weights, .npy inputs) without blocking.
 * open() on a FIFO waits for a writer and a device may never end, so a file is opened
 * non-blocking, checked to be a regular file, and only then switched to blocking reads —
 * the same rule the Swift readers apply (ByteIO.readFile), with the same words.
 */
#ifndef ATTEND_FILE_H
#define ATTEND_FILE_H

#include "attend_message.h"

/* A read-only descriptor for the regular file at `path`, or -1 with the reason (after
 * "PATH: ") appended to `message`. `what` names the file in messages: "the weights file " (with its space) or "". */
int attend_open_regular(const char *path, const char *what, attend_message *message);

#endif
