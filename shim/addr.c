#include "shim.h"

#include "addr.h"

#include <string.h>

int shim_addr_out(const mynet_sock *s, const struct sockaddr_in *in, struct sockaddr *addr,
                  socklen_t *len)
{
  if (!addr || !len)
    return -EFAULT;
  if ((int)*len < 0)
    return -EINVAL;
  struct sockaddr_storage full;
  socklen_t n = mynet_sock_addr_out(s, in, &full);
  memcpy(addr, &full, *len < n ? *len : n);
  *len = n;
  return 0;
}
