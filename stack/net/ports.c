#include "net/ports.h"

#include "stack_impl.h"

uint16_t mn_port_pick(struct mynet_stack *st, bool (*in_use)(void *ctx, uint16_t port), void *ctx)
{
  uint32_t n = MN_PORT_EPHEMERAL_MAX - MN_PORT_EPHEMERAL_MIN + 1;
  uint32_t start = mn_rand_below(&st->rand, n);
  for (uint32_t i = 0; i < n; i++) {
    uint16_t port = (uint16_t)(MN_PORT_EPHEMERAL_MIN + (start + i) % n);
    if (!in_use(ctx, port))
      return port;
  }
  return 0;
}
