// libmosquitto, the Eclipse Mosquitto client library, loaded only when a map has an `mqtt`
// section: linking it would load it and OpenSSL (1.8 MB resident) into every gateway. The MQTT
// module calls these `lazy_` wrappers, which open libmosquitto.so.1 on first use. Types and
// constants come from Debian's libmosquitto-dev header itself.
#ifndef TEMBRIDGE_CMOSQUITTO_H
#define TEMBRIDGE_CMOSQUITTO_H

#include <mosquitto.h>
#include <stdbool.h>

/// MOSQ_ERR_SUCCESS, or MOSQ_ERR_NOT_SUPPORTED when libmosquitto cannot be loaded (then
/// `lazy_mosquitto_strerror` says why).
int lazy_mosquitto_lib_init(void);
const char *lazy_mosquitto_strerror(int mosq_errno);
const char *lazy_mosquitto_connack_string(int connack_code);
/// NULL when libmosquitto cannot be loaded.
struct mosquitto *lazy_mosquitto_new(const char *id, bool clean_session, void *obj);
void lazy_mosquitto_destroy(struct mosquitto *mosq);
int lazy_mosquitto_connect(struct mosquitto *mosq, const char *host, int port, int keepalive);
int lazy_mosquitto_connect_async(struct mosquitto *mosq, const char *host, int port, int keepalive);
int lazy_mosquitto_disconnect(struct mosquitto *mosq);
void lazy_mosquitto_connect_callback_set(struct mosquitto *mosq, void (*on_connect)(struct mosquitto *, void *, int));
void lazy_mosquitto_disconnect_callback_set(
    struct mosquitto *mosq, void (*on_disconnect)(struct mosquitto *, void *, int));
void lazy_mosquitto_log_callback_set(
    struct mosquitto *mosq, void (*on_log)(struct mosquitto *, void *, int, const char *));
int lazy_mosquitto_int_option(struct mosquitto *mosq, enum mosq_opt_t option, int value);
int lazy_mosquitto_loop_start(struct mosquitto *mosq);
int lazy_mosquitto_loop_stop(struct mosquitto *mosq, bool force);
int lazy_mosquitto_publish(
    struct mosquitto *mosq, int *mid, const char *topic, int payloadlen, const void *payload, int qos, bool retain);
int lazy_mosquitto_reconnect_delay_set(
    struct mosquitto *mosq, unsigned int reconnect_delay, unsigned int reconnect_delay_max,
    bool reconnect_exponential_backoff);
int lazy_mosquitto_tls_set(
    struct mosquitto *mosq, const char *cafile, const char *capath, const char *certfile, const char *keyfile,
    int (*pw_callback)(char *buf, int size, int rwflag, void *userdata));
int lazy_mosquitto_username_pw_set(struct mosquitto *mosq, const char *username, const char *password);
int lazy_mosquitto_will_set(
    struct mosquitto *mosq, const char *topic, int payloadlen, const void *payload, int qos, bool retain);

#endif
