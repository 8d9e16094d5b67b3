/* Every dropped or unusual packet is counted under a stable name, the way
 * `netstat -s` names them, so tests assert why a packet went away. */
#ifndef MN_CORE_COUNTERS_H
#define MN_CORE_COUNTERS_H

#include <stdint.h>

#define MN_COUNTERS(X)                                                                             \
  X(eth, in_frames)                                                                                \
  X(eth, in_errors)                                                                                \
  X(eth, in_not_for_us)                                                                            \
  X(eth, in_unknown_type)                                                                          \
  X(eth, out_frames)                                                                               \
  X(eth, out_errors)                                                                               \
  X(arp, in_packets)                                                                               \
  X(arp, in_errors)                                                                                \
  X(arp, out_requests)                                                                             \
  X(arp, out_replies)                                                                              \
  X(arp, resolve_failed)                                                                           \
  X(arp, queue_drops)                                                                              \
  X(ip, in_receives)                                                                               \
  X(ip, in_hdr_errors)                                                                             \
  X(ip, in_addr_errors)                                                                            \
  X(ip, in_unknown_protos)                                                                         \
  X(ip, in_frag_drops)                                                                             \
  X(ip, in_delivers)                                                                               \
  X(ip, out_requests)                                                                              \
  X(ip, out_no_routes)                                                                             \
  X(ip, out_discards)                                                                              \
  X(icmp, in_msgs)                                                                                 \
  X(icmp, in_errors)                                                                               \
  X(icmp, in_echos)                                                                                \
  X(icmp, in_dest_unreachs)                                                                        \
  X(icmp, out_msgs)                                                                                \
  X(icmp, out_echo_reps)                                                                           \
  X(icmp, out_dest_unreachs)                                                                       \
  X(icmp, out_rate_limited)                                                                        \
  X(udp, in_datagrams)                                                                             \
  X(udp, no_ports)                                                                                 \
  X(udp, in_errors)                                                                                \
  X(udp, rcvbuf_errors)                                                                            \
  X(udp, out_datagrams)                                                                            \
  X(tcp, in_segs)                                                                                  \
  X(tcp, in_errs)                                                                                  \
  X(tcp, out_segs)                                                                                 \
  X(tcp, retrans_segs)                                                                             \
  X(tcp, out_rsts)                                                                                 \
  X(tcp, active_opens)                                                                             \
  X(tcp, passive_opens)                                                                            \
  X(tcp, attempt_fails)                                                                            \
  X(tcp, estab_resets)                                                                             \
  X(tcp, fast_retrans)                                                                             \
  X(tcp, tlp_probes)                                                                               \
  X(tcp, lost_retrans)                                                                             \
  X(tcp, spurious_undos)                                                                           \
  X(tcp, timeouts)                                                                                 \
  X(tcp, challenge_acks)                                                                           \
  X(tcp, paws_drops)                                                                               \
  X(tcp, ofo_queued)                                                                               \
  X(tcp, rcvq_drops)                                                                               \
  X(tcp, out_nobufs)                                                                               \
  X(tcp, listen_drops)                                                                             \
  X(tcp, defer_accept_drops)                                                                       \
  X(tcp, syn_queue_drops)                                                                          \
  X(tcp, timewait_recycled)                                                                        \
  X(dev, rx_dropped)                                                                               \
  X(dev, tx_dropped)                                                                               \
  X(faults, dropped)                                                                               \
  X(faults, duplicated)                                                                            \
  X(faults, reordered)                                                                             \
  X(faults, corrupted)                                                                             \
  X(faults, delayed)

struct mn_counters {
#define MN_COUNTER_FIELD(layer, name) uint64_t layer##_##name;
  MN_COUNTERS(MN_COUNTER_FIELD)
#undef MN_COUNTER_FIELD
};

#endif
