#ifndef CCPOOL_CMICROHTTPD_SHIM_H
#define CCPOOL_CMICROHTTPD_SHIM_H

#include <stdarg.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
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

/* ---- HTTPServer module (branch http): a start function with the extra callbacks it needs. ---- */

/// Everything of `ccpool_mhd_options` plus the callbacks the HTTPServer module uses: the URI log callback (sees
/// the raw request target before MHD unescapes it, and creates the per-request context), the connection
/// notifier (counts open connections), a listen backlog, and a per-IP connection limit.
typedef struct ccpool_mhd_options_ex {
    ccpool_mhd_options base;
    void *(*uri_log)(void *cls, const char *uri, struct MHD_Connection *connection); /* may be NULL */
    void *uri_log_cls;
    MHD_NotifyConnectionCallback notify_connection;  /* may be NULL */
    void *notify_connection_cls;
    unsigned int listen_backlog;                     /* 0 = MHD's default */
    unsigned int per_ip_connection_limit;            /* 0 = none */
} ccpool_mhd_options_ex;

/// Fixed-arity wrapper around `MHD_start_daemon` with the options of `ccpool_mhd_options_ex`.
static inline struct MHD_Daemon *ccpool_mhd_start_ex(unsigned int flags,
                                                     MHD_AccessHandlerCallback handler,
                                                     void *handler_cls,
                                                     const ccpool_mhd_options_ex *o) {
    return MHD_start_daemon(flags, 0, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_SOCK_ADDR, o->base.bind_address,
                            MHD_OPTION_THREAD_POOL_SIZE, o->base.thread_pool_size,
                            MHD_OPTION_CONNECTION_LIMIT, o->base.connection_limit,
                            MHD_OPTION_CONNECTION_TIMEOUT, o->base.connection_timeout_seconds,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, o->base.connection_memory_limit,
                            MHD_OPTION_NOTIFY_COMPLETED, o->base.completed, o->base.completed_cls,
                            MHD_OPTION_URI_LOG_CALLBACK, o->uri_log, o->uri_log_cls,
                            MHD_OPTION_NOTIFY_CONNECTION, o->notify_connection, o->notify_connection_cls,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, (o->listen_backlog == 0 ? 511u : o->listen_backlog),
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->per_ip_connection_limit,
                            MHD_OPTION_END);
}

/// The numeric value of an MHD flag set, for Swift (the flag enum imports as separate constants).
static inline unsigned int ccpool_mhd_flags_epoll_itc(int ipv6) {
    return (unsigned int)(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME | (ipv6 ? MHD_USE_IPv6 : 0));
}

/// The socket of a connection (`MHD_get_connection_info` is variadic), or -1.
static inline int ccpool_mhd_connection_fd(struct MHD_Connection *connection) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info == NULL ? -1 : (int)info->connect_fd;
}

/// The client's address of a connection as text (IPv4 or IPv6 literal), written into `buffer`; "" if unknown.
static inline void ccpool_mhd_client_address(struct MHD_Connection *connection, char *buffer, socklen_t size) {
    buffer[0] = 0;
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == NULL || info->client_addr == NULL) return;
    const struct sockaddr *address = info->client_addr;
    if (address->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)address)->sin_addr, buffer, size);
    } else if (address->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)address)->sin6_addr, buffer, size);
    }
}

#endif
