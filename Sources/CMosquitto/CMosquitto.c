// Opens libmosquitto.so.1 on the first call and forwards to it (see include/CMosquitto.h).
#include "CMosquitto.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#define FUNCTIONS(X)                                                                                              \
    X(lib_init) X(strerror) X(connack_string) X(new) X(destroy) X(connect) X(connect_async) X(disconnect)          \
    X(connect_callback_set) X(disconnect_callback_set) X(log_callback_set) X(int_option) X(loop_start)             \
    X(loop_stop) X(publish) X(reconnect_delay_set) X(tls_set) X(username_pw_set) X(will_set)

#define POINTER(name) static __typeof__(&mosquitto_##name) fn_##name;
FUNCTIONS(POINTER)

static int loaded;  // 1 when every function was found
static char loadError[512] = "libmosquitto was not loaded";
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    void *handle = dlopen("libmosquitto.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        snprintf(loadError, sizeof loadError, "cannot load libmosquitto.so.1 (install libmosquitto1): %s", why ? why : "?");
        return;
    }
#define FIND(name)                                                                                      \
    if (!(*(void **)&fn_##name = dlsym(handle, "mosquitto_" #name))) {                                  \
        snprintf(loadError, sizeof loadError, "cannot use libmosquitto.so.1: mosquitto_%s not found", #name); \
        return;                                                                                         \
    }
    FUNCTIONS(FIND)
    loaded = 1;
}

static int ready(void) {
    pthread_once(&once, load);
    return loaded;
}

int lazy_mosquitto_lib_init(void) { return ready() ? fn_lib_init() : MOSQ_ERR_NOT_SUPPORTED; }

const char *lazy_mosquitto_strerror(int e) { return ready() ? fn_strerror(e) : loadError; }

const char *lazy_mosquitto_connack_string(int code) { return ready() ? fn_connack_string(code) : loadError; }

struct mosquitto *lazy_mosquitto_new(const char *id, bool clean, void *obj) {
    return ready() ? fn_new(id, clean, obj) : NULL;
}

// The rest take a `struct mosquitto *` that only a loaded library can have made.
void lazy_mosquitto_destroy(struct mosquitto *m) { fn_destroy(m); }

int lazy_mosquitto_connect(struct mosquitto *m, const char *host, int port, int keepalive) {
    return fn_connect(m, host, port, keepalive);
}

int lazy_mosquitto_connect_async(struct mosquitto *m, const char *host, int port, int keepalive) {
    return fn_connect_async(m, host, port, keepalive);
}

int lazy_mosquitto_disconnect(struct mosquitto *m) { return fn_disconnect(m); }

void lazy_mosquitto_connect_callback_set(struct mosquitto *m, void (*f)(struct mosquitto *, void *, int)) {
    fn_connect_callback_set(m, f);
}

void lazy_mosquitto_disconnect_callback_set(struct mosquitto *m, void (*f)(struct mosquitto *, void *, int)) {
    fn_disconnect_callback_set(m, f);
}

void lazy_mosquitto_log_callback_set(struct mosquitto *m, void (*f)(struct mosquitto *, void *, int, const char *)) {
    fn_log_callback_set(m, f);
}

int lazy_mosquitto_int_option(struct mosquitto *m, enum mosq_opt_t option, int value) {
    return fn_int_option(m, option, value);
}

int lazy_mosquitto_loop_start(struct mosquitto *m) { return fn_loop_start(m); }

int lazy_mosquitto_loop_stop(struct mosquitto *m, bool force) { return fn_loop_stop(m, force); }

int lazy_mosquitto_publish(
    struct mosquitto *m, int *mid, const char *topic, int length, const void *payload, int qos, bool retain) {
    return fn_publish(m, mid, topic, length, payload, qos, retain);
}

int lazy_mosquitto_reconnect_delay_set(struct mosquitto *m, unsigned int delay, unsigned int max, bool exponential) {
    return fn_reconnect_delay_set(m, delay, max, exponential);
}

int lazy_mosquitto_tls_set(
    struct mosquitto *m, const char *cafile, const char *capath, const char *certfile, const char *keyfile,
    int (*pw)(char *, int, int, void *)) {
    return fn_tls_set(m, cafile, capath, certfile, keyfile, pw);
}

int lazy_mosquitto_username_pw_set(struct mosquitto *m, const char *username, const char *password) {
    return fn_username_pw_set(m, username, password);
}

int lazy_mosquitto_will_set(struct mosquitto *m, const char *topic, int length, const void *payload, int qos, bool retain) {
    return fn_will_set(m, topic, length, payload, qos, retain);
}
