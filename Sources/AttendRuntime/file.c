/* Opening input files without blocking on FIFOs or devices (see attend_file.h). */
#define _POSIX_C_SOURCE 200809L
#include "attend_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int attend_open_regular(const char *path, const char *what, attend_message *message) {
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) {
        attend_message_format(message, "cannot open %s(%s)", what, strerror(errno));
        return -1;
    }
    struct stat status;
    if (fstat(fd, &status) != 0) {
        attend_message_format(message, "cannot read %s(%s)", what, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(status.st_mode)) {
        attend_message_text(message, S_ISDIR(status.st_mode) ? "is a directory, not a file"
                                                             : "is not a regular file (a device, FIFO or socket cannot be read as one)");
        close(fd);
        return -1;
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        attend_message_format(message, "cannot read %s(%s)", what, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
