// A bounded queue of pointers between threads (many producers, one consumer), for work that must
// never hold up the inference loop: a post to a full mailbox fails at once instead of waiting.
#ifndef EDGEINSPECT_MAILBOX_H
#define EDGEINSPECT_MAILBOX_H

typedef struct ei_mailbox ei_mailbox;

ei_mailbox *ei_mailbox_create(int capacity);
void ei_mailbox_destroy(ei_mailbox *mailbox);
/// Returns 1 when queued, 0 when the mailbox is full or closed (the caller keeps `item`).
int ei_mailbox_post(ei_mailbox *mailbox, void *item);
/// Waits up to timeout_ms; returns the oldest item, or NULL on timeout or once closed and empty.
void *ei_mailbox_take(ei_mailbox *mailbox, int timeout_ms);
/// No more posts; a waiting taker wakes and drains what is left.
void ei_mailbox_close(ei_mailbox *mailbox);
int ei_mailbox_count(ei_mailbox *mailbox);

#endif
