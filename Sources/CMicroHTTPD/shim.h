#ifndef CCPOOL_CMICROHTTPD_SHIM_H
#define CCPOOL_CMICROHTTPD_SHIM_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

/// Options for `ccpool_mhd_start`, gathered in a struct because `MHD_start_daemon` is variadic
/// and Swift cannot call it.
typedef struct ccpool_mhd_options {
    const struct sockaddr *bind_address;      /* MHD_OPTION_SOCK_ADDR, never NULL */
    unsigned int thread_pool_size;            /* MHD_OPTION_THREAD_POOL_SIZE, 0 = none */
    unsigned int connection_limit;            /* MHD_OPTION_CONNECTION_LIMIT */
    unsigned int connection_timeout_seconds;  /* MHD_OPTION_CONNECTION_TIMEOUT */
    size_t connection_memory_limit;           /* MHD_OPTION_CONNECTION_MEMORY_LIMIT (bounds header size) */
    MHD_RequestCompletedCallback completed;   /* MHD_OPTION_NOTIFY_COMPLETED, may be NULL */
    void *completed_cls;
} ccpool_mhd_options;

/// Fixed-arity wrapper around the variadic `MHD_start_daemon`.
static inline struct MHD_Daemon *ccpool_mhd_start(unsigned int flags,
                                                  MHD_AccessHandlerCallback handler,
                                                  void *handler_cls,
                                                  const ccpool_mhd_options *o) {
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_SOCK_ADDR, o->bind_address,
                            MHD_OPTION_THREAD_POOL_SIZE, o->thread_pool_size,
                            MHD_OPTION_CONNECTION_LIMIT, o->connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, o->connection_timeout_seconds,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->connection_memory_limit,
                            MHD_OPTION_NOTIFY_COMPLETED, o->completed, o->completed_cls,
                            MHD_OPTION_END);
}

/// The port the daemon is bound to (useful after binding port 0), or 0 if unknown.
static inline uint16_t ccpool_mhd_bound_port(struct MHD_Daemon *daemon) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info == NULL ? 0 : info->port;
}

#endif
