// Newest-frame-wins hand-over between one producer (the capture thread) and one consumer (the
// inference loop): a triple buffer of indices. The producer always has a buffer to write into, so
// capture never waits for inference; a frame that is replaced before the consumer takes it is a
// drop, and is counted. The buffers themselves belong to the caller; only indices 0..2 move here.
#ifndef EDGEINSPECT_FRAME_EXCHANGE_H
#define EDGEINSPECT_FRAME_EXCHANGE_H

#include <stdint.h>

typedef struct ei_frame_exchange ei_frame_exchange;

/// Initially the producer owns buffer 0, the consumer buffer 1, and buffer 2 is in the middle.
ei_frame_exchange *ei_frame_exchange_create(void);
void ei_frame_exchange_destroy(ei_frame_exchange *exchange);

/// Producer: hands over the buffer it just filled (*buffer) with its sequence number and capture
/// time, and gets the buffer to fill next back in *buffer. Never blocks beyond a short lock.
void ei_frame_exchange_publish(ei_frame_exchange *exchange, int *buffer, uint64_t sequence,
                               uint64_t captured_ns);

/// Consumer: waits up to timeout_ms for a frame newer than the last one taken, then swaps it with
/// *buffer (the consumer's previous one). Returns 1 with *sequence / *captured_ns set, or 0 on
/// timeout (or when woken by ei_frame_exchange_wake).
int ei_frame_exchange_take(ei_frame_exchange *exchange, int *buffer, int timeout_ms, uint64_t *sequence,
                           uint64_t *captured_ns);
/// Wakes a waiting consumer without a frame (stop requests, camera state changes).
void ei_frame_exchange_wake(ei_frame_exchange *exchange);

/// Frames published, and frames replaced before the consumer took them.
uint64_t ei_frame_exchange_published(ei_frame_exchange *exchange);
uint64_t ei_frame_exchange_dropped(ei_frame_exchange *exchange);

#endif
