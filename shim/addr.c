#include "shim.h"

#include "addr.h"

#include <string.h>

int shim_addr_in(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *out)
{
  if (len > sizeof(struct sockaddr_storage))
    return -EINVAL;
  if (!addr)
    return -EFAULT;
  if (len < sizeof *out)
    return -EINVAL;
  memcpy(out, addr, sizeof *out);
  return 0;
}

int shim_addr_out(const struct sockaddr_in *in, struct sockaddr *addr, socklen_t *len)
{
  if (!addr || !len)
    return -EFAULT;
  if ((int)*len < 0)
    return -EINVAL;
  memcpy(addr, in, *len < sizeof *in ? *len : sizeof *in);
  *len = sizeof *in;
  return 0;
}
