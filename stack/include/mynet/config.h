/* Configuration: the MYNET_* variables parsed into one value.
 *
 * Parsing is pure (strings in, struct out) so every bad value has a unit
 * test; reading the environment is the shim's job.  Every error message
 * names the variable and the form it expects. */
#ifndef MYNET_CONFIG_H
#define MYNET_CONFIG_H

#include <mynet/stack.h>
#include <net/if.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MYNET_MAX_ROUTES 16
#define MYNET_PATH_MAX 1024

struct mynet_route_cfg {
  uint32_t net; /* host byte order */
  uint8_t prefix;
  uint32_t via; /* 0 = directly connected */
};

/* Link impairments applied at the device, both directions. Rates are in
 * parts per million so they stay integers. */
struct mynet_faults_cfg {
  uint32_t loss_ppm, dup_ppm, reorder_ppm, corrupt_ppm;
  mynet_time delay, jitter;
  uint64_t seed;
  bool enabled;
};

struct mynet_config {
  char tap[IFNAMSIZ]; /* empty: no TAP */
  uint32_t addr;      /* host byte order */
  uint8_t prefix;
  uint32_t gw; /* 0 = none */
  uint8_t mac[6];
  bool mac_set;
  uint16_t mtu;
  struct mynet_route_cfg routes[MYNET_MAX_ROUTES];
  int nroutes;
  int log_level;
  char log_file[MYNET_PATH_MAX];
  char pcap[MYNET_PATH_MAX];
  struct mynet_faults_cfg faults;
  mynet_time linger; /* how long exit waits for closed sockets */
  uint32_t dns;      /* name server for the shim's resolver; 0 = resolv.conf's */
  uint16_t dns_port;
  /* Bound on the memory of the stack's shared region (address space,
   * touched only as it is used). */
  uint64_t mem;
};

#define MYNET_MEM_DEFAULT (512ull << 20)
#define MYNET_MEM_MIN (16ull << 20)
#define MYNET_MEM_MAX (64ull << 30)

/* Defaults: TAP "mynet0", 192.0.2.2/24, MTU 1500, log level warn, linger
 * 10 s, 512 MiB of shared memory at most. */
MYNET_API void mynet_config_defaults(struct mynet_config *c);

/* Apply one variable (e.g. "MYNET_ADDR", "10.0.0.2/24").  Returns 0, or
 * -EINVAL with a one-line message in err.  Unknown MYNET_ names are
 * rejected so that a typo is never silently ignored. */
MYNET_API int mynet_config_set(struct mynet_config *c, const char *name, const char *value,
                               char *err, size_t errlen);

/* Apply every MYNET_* entry of an environment vector (NULL-terminated). */
MYNET_API int mynet_config_from_env(struct mynet_config *c, char *const *envp, char *err,
                                    size_t errlen);

/* Individual parsers, exposed for tests and tools. */
MYNET_API int mynet_parse_ipv4(const char *s, uint32_t *out);
MYNET_API int mynet_parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix);
MYNET_API int mynet_parse_mac(const char *s, uint8_t mac[6]);
MYNET_API int mynet_parse_duration(const char *s, mynet_time *out);
MYNET_API int mynet_parse_faults(const char *s, struct mynet_faults_cfg *f, char *err,
                                 size_t errlen);

/* Bring up the configured interface on a stack (loopback is always
 * there): the one named by c->tap, if any, with its address, MAC, MTU and
 * routes.  Its device is opened by mynet_port_open, by each process that
 * drives the stack.  Returns 0 or a negative errno with a message in
 * err. */
MYNET_API int mynet_stack_configure(mynet_stack *st, const struct mynet_config *c, char *err,
                                    size_t errlen);
/* This process's port for the configured interface: the TAP named by
 * c->tap, wrapped in the fault injector if c->faults says so. */
MYNET_API int mynet_port_open(mynet_stack *st, const struct mynet_config *c, mynet_port **out,
                              char *err, size_t errlen);
/* A port around a TAP descriptor the process inherited (exec), for the
 * stack's first interface that is not the loopback.  0 or -ENODEV,
 * -ENOMEM. */
MYNET_API int mynet_port_adopt(mynet_stack *st, int fd, mynet_port **out);

#ifdef __cplusplus
}
#endif
#endif
