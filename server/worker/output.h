/*
 * output.h - where what a skill prints goes: the server's log, line by line.
 *
 * A skill's print() reaches the front two ways. skillkit turns it into LOG
 * frames while the skill loads or answers (output_record()), which carry
 * the request's id. Whatever bypasses skillkit (a C extension, os.write,
 * a thread left running) lands in the pipe that is the zygote's and its
 * workers' stdout and stderr; one thread per pool reads every such pipe
 * (output_add()) and logs each line marked "(output)", at most
 * LIMIT_SKILL_RAW_OUTPUT_BYTES_PER_S a second per skill.
 *
 * Lines go to the pool's log function, or to log_skill() when it has none.
 * Every function is thread-safe.
 */
#ifndef SKILLSERVER_OUTPUT_H
#define SKILLSERVER_OUTPUT_H

#include <stdbool.h>

#include "error.h"
#include "proto.h"

/* Called for each line a skill prints (see pool.h's pool_log_fn). */
typedef void (*output_log_fn)(void *ctx, const char *skill, const char *request_id,
                              const char *text);

/* Where lines go: log(ctx, ...), or log_skill() when log is NULL. */
struct output_sink {
    output_log_fn log;
    void *ctx;
};

/* Log one line of skill (request_id may be NULL). */
void output_text(const struct output_sink *sink, const char *skill, const char *request_id,
                 const char *text);

/* Log the text of a LOG frame. Returns false, with err saying why, when
 * the frame is not a LOG message.h accepts. */
bool output_record(const struct output_sink *sink, const char *skill, const char *request_id,
                   const struct proto_frame *frame, struct ss_error *err);

/* Start the thread that reads skills' output pipes; sink is copied. NULL
 * when it cannot be started. */
struct output_reader *output_reader_create(const struct output_sink *sink);

/* Hand the read end of a skill's output pipe (non-blocking) to the reader,
 * which owns it from then on and closes it at its end. */
void output_add(struct output_reader *reader, const char *skill, int fd);

/* Stop the thread, log what the pipes still hold (up to a pipe's worth
 * each) and close them. NULL-safe. */
void output_reader_destroy(struct output_reader *reader);

#endif
