/* epoll instances and their stack-socket items (see epoll.h). */
#include "shim.h"

#include "epoll.h"
#include "fdtable.h"
#include "runtime.h"
#include "sock.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* What a registration may ask for; the rest of events are flags. */
#define EP_EVENT_BITS                                                                              \
  (EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND |         \
   EPOLLMSG | EPOLLRDHUP)
/* fs/eventpoll.c: the only bits EPOLLEXCLUSIVE may come with. */
#define EP_EXCLUSIVE_OK_BITS                                                                       \
  (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)

void shim_epoll_ref(struct shim_epoll *ep)
{
  ep->refs++;
}

void shim_epoll_unref(struct shim_epoll *ep)
{
  if (--ep->refs == 0)
    free(ep);
}

int shim_epoll_open(int fd)
{
  struct shim_epoll *ep = calloc(1, sizeof *ep);
  if (!ep)
    return -ENOMEM;
  ep->file = (struct shim_file){.kind = SHIM_FILE_EPOLL, .nfds = 1};
  ep->refs = 1;
  ep->sigfd = -1;
  int r = shim_fd_attach(fd, &ep->file);
  if (r < 0)
    free(ep);
  return r;
}

int shim_epoll_add_fd(struct shim_epoll *ep, int fd)
{
  int r = shim_fd_attach(fd, &ep->file);
  if (r == 0) {
    ep->file.nfds++;
    ep->refs++;
  }
  return r;
}

/* The internal eventfd follows the ready list: readable iff not empty. */
static void update_signal(struct shim_epoll *ep)
{
  bool want = ep->ready_head != NULL;
  if (ep->sigfd < 0 || want == ep->sig_level)
    return;
  uint64_t v = 1;
  ssize_t r = want ? REAL(write)(ep->sigfd, &v, sizeof v) : REAL(read)(ep->sigfd, &v, sizeof v);
  if (r == (ssize_t)sizeof v || (!want && errno == EAGAIN))
    ep->sig_level = want;
}

static void ready_push(struct shim_epitem *it)
{
  struct shim_epoll *ep = it->ep;
  it->ready = true;
  it->rd_next = NULL;
  it->rd_prev = ep->ready_tail;
  if (ep->ready_tail)
    ep->ready_tail->rd_next = it;
  else
    ep->ready_head = it;
  ep->ready_tail = it;
}

static void ready_remove(struct shim_epitem *it)
{
  struct shim_epoll *ep = it->ep;
  if (!it->ready)
    return;
  if (it->rd_prev)
    it->rd_prev->rd_next = it->rd_next;
  else
    ep->ready_head = it->rd_next;
  if (it->rd_next)
    it->rd_next->rd_prev = it->rd_prev;
  else
    ep->ready_tail = it->rd_prev;
  it->ready = false;
  it->rd_next = it->rd_prev = NULL;
}

/* The socket's events as this item reports them: what it asked for plus
 * EPOLLERR and EPOLLHUP, which are always reported (the bit values of
 * poll(2) and epoll are the same). */
static uint32_t item_events(const struct shim_epitem *it, unsigned poll_events)
{
  uint32_t ev = poll_events;
  if (ev & EPOLLIN)
    ev |= EPOLLRDNORM;
  if (ev & EPOLLOUT)
    ev |= EPOLLWRNORM;
  return ev & ((it->events & EP_EVENT_BITS) | EPOLLERR | EPOLLHUP);
}

/* ep_poll_callback: a level-triggered item is ready while it has events;
 * an edge-triggered one becomes ready when an event appears or new input
 * arrives (the kernel wakes on each sk_data_ready, drained or not).
 * first: the item was just added or modified, which the kernel follows
 * with a poll of the file (ep_insert, ep_modify). */
static void evaluate(struct shim_epitem *it, unsigned poll_events, uint32_t rx_gen, bool first)
{
  uint32_t got = item_events(it, poll_events);
  bool fire;
  if (it->disabled)
    fire = false;
  else if (first || !(it->events & EPOLLET))
    fire = got != 0;
  else
    fire = (got & ~it->last) != 0 || ((got & (EPOLLIN | EPOLLRDNORM)) != 0 && rx_gen != it->rx_gen);
  it->last = got;
  it->rx_gen = rx_gen;
  if (fire && !it->ready) {
    ready_push(it);
    update_signal(it->ep);
  } else if (!got && it->ready) {
    /* Nothing left to report: the kernel drops such an item when the
     * instance is polled or waited on, so the instance is not readable
     * for it (a poll() of the epoll fd, an outer epoll). */
    ready_remove(it);
    update_signal(it->ep);
  }
}

void shim_epoll_sock_changed(struct shim_sock *ss, unsigned events, uint32_t rx_gen)
{
  for (struct shim_epitem *it = ss->items; it; it = it->ss_next)
    evaluate(it, events, rx_gen, false);
}

static void item_free(struct shim_epitem *it)
{
  struct shim_epoll *ep = it->ep;
  ready_remove(it);
  if (it->ep_prev)
    it->ep_prev->ep_next = it->ep_next;
  else
    ep->items = it->ep_next;
  if (it->ep_next)
    it->ep_next->ep_prev = it->ep_prev;
  if (it->ss_prev)
    it->ss_prev->ss_next = it->ss_next;
  else
    it->ss->items = it->ss_next;
  if (it->ss_next)
    it->ss_next->ss_prev = it->ss_prev;
  ep->nitems--;
  struct shim_sock *ss = it->ss;
  free(it);
  update_signal(ep);
  if (!ss->items)
    shim_sock_watch_update(ss);
}

void shim_epoll_sock_closed(struct shim_sock *ss)
{
  while (ss->items)
    item_free(ss->items);
}

static void release(struct shim_epoll *ep)
{
  while (ep->items)
    item_free(ep->items);
  ep->closed = true;
  if (ep->sigfd >= 0) {
    shim_fd_forget(ep->sigfd);
    REAL(close)(ep->sigfd);
    __atomic_store_n(&ep->sigfd, -1, __ATOMIC_RELAXED);
  }
}

int shim_epoll_drop_fd(struct shim_epoll *ep, int fd, bool close_fd)
{
  shim_fd_forget(fd);
  if (--ep->file.nfds == 0)
    release(ep);
  int r = 0;
  if (close_fd && REAL(close)(fd) < 0)
    r = -errno;
  shim_epoll_unref(ep);
  return r;
}

static struct shim_epitem *find(const struct shim_epoll *ep, const struct shim_sock *ss, int fd)
{
  for (struct shim_epitem *it = ss->items; it; it = it->ss_next)
    if (it->ep == ep && it->fd == fd)
      return it;
  return NULL;
}

/* The internal eventfd, registered level-triggered in the kernel epoll
 * the first time a stack socket joins. */
static int ensure_signal(struct shim_epoll *ep, int epfd)
{
  if (ep->sigfd >= 0)
    return 0;
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  fd = fd < 0 ? -errno : shim_fd_internalize(fd);
  if (fd < 0) /* epoll_ctl(2) has no EMFILE: the kernel's own would be ENOMEM */
    return fd == -EMFILE || fd == -ENFILE ? -ENOMEM : fd;
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = SHIM_EPOLL_SIGNAL_DATA};
  if (REAL(epoll_ctl)(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
    int err = errno;
    shim_fd_forget(fd);
    REAL(close)(fd);
    return -err;
  }
  __atomic_store_n(&ep->sigfd, fd, __ATOMIC_RELAXED); /* read by plain() */
  ep->sig_level = false;
  return 0;
}

static int add(struct shim_epoll *ep, int epfd, struct shim_sock *ss, int fd,
               const struct epoll_event *ev)
{
  int r = ensure_signal(ep, epfd);
  if (r < 0)
    return r;
  struct shim_epitem *it = calloc(1, sizeof *it);
  if (!it)
    return -ENOMEM;
  it->ep = ep;
  it->ss = ss;
  it->fd = fd;
  it->events = (ev->events & ~EPOLLWAKEUP) | EPOLLERR | EPOLLHUP;
  it->data = ev->data;
  it->ep_next = ep->items;
  if (ep->items)
    ep->items->ep_prev = it;
  ep->items = it;
  it->ss_next = ss->items;
  if (ss->items)
    ss->items->ss_prev = it;
  ss->items = it;
  ep->nitems++;
  if (!it->ss_next)
    shim_sock_watch_update(ss);
  evaluate(it, mynet_sock_events(ss->s), mynet_sock_rx_gen(ss->s), true);
  return 0;
}

int shim_epoll_ctl(struct shim_epoll *ep, int epfd, int op, struct shim_sock *ss, int fd,
                   const struct epoll_event *ev)
{
  if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
    return -EINVAL;
  bool has_event = op != EPOLL_CTL_DEL;
  if (has_event && (ev->events & EPOLLEXCLUSIVE)) {
    if (op == EPOLL_CTL_MOD || (ev->events & ~EP_EXCLUSIVE_OK_BITS))
      return -EINVAL;
  }
  struct shim_epitem *it = find(ep, ss, fd);
  switch (op) {
  case EPOLL_CTL_ADD:
    return it ? -EEXIST : add(ep, epfd, ss, fd, ev);
  case EPOLL_CTL_DEL:
    if (!it)
      return -ENOENT;
    item_free(it);
    return 0;
  default: /* MOD */
    if (!it)
      return -ENOENT;
    /* An exclusive waiter's registration cannot change (the kernel
     * answers EINVAL). */
    if (it->events & EPOLLEXCLUSIVE)
      return -EINVAL;
    it->events = (ev->events & ~EPOLLWAKEUP) | EPOLLERR | EPOLLHUP;
    it->data = ev->data;
    it->disabled = false;
    ready_remove(it);
    update_signal(ep);
    evaluate(it, mynet_sock_events(ss->s), mynet_sock_rx_gen(ss->s), true);
    return 0;
  }
}

int shim_epoll_harvest(struct shim_epoll *ep, struct epoll_event *out, int max)
{
  /* Items kept ready go back behind those not looked at, after this
   * pass, so that one busy socket cannot starve the others. */
  struct shim_epitem *keep_head = NULL, *keep_tail = NULL;
  int n = 0;
  while (n < max && ep->ready_head) {
    struct shim_epitem *it = ep->ready_head;
    ready_remove(it);
    if (it->disabled)
      continue;
    uint32_t got = item_events(it, mynet_sock_events(it->ss->s));
    it->last = got;
    it->rx_gen = mynet_sock_rx_gen(it->ss->s);
    if (!got)
      continue;
    out[n].events = got;
    out[n].data = it->data;
    n++;
    if (it->events & EPOLLONESHOT) {
      it->disabled = true;
    } else if (!(it->events & EPOLLET)) {
      it->ready = true;
      it->rd_next = NULL;
      it->rd_prev = keep_tail;
      if (keep_tail)
        keep_tail->rd_next = it;
      else
        keep_head = it;
      keep_tail = it;
    }
  }
  if (keep_head) {
    keep_head->rd_prev = ep->ready_tail;
    if (ep->ready_tail)
      ep->ready_tail->rd_next = keep_head;
    else
      ep->ready_head = keep_head;
    ep->ready_tail = keep_tail;
  }
  update_signal(ep);
  return n;
}

int shim_epoll_filter(struct epoll_event *ev, int n)
{
  int k = 0;
  for (int i = 0; i < n; i++)
    if (ev[i].data.u64 != SHIM_EPOLL_SIGNAL_DATA)
      ev[k++] = ev[i];
  return k;
}
