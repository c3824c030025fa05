// libmosquitto, from Debian's libmosquitto-dev. Only the MQTT module imports it.
#include <mosquitto.h>
