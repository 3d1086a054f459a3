/*
 * invoke.c - one request from a file through one skill (invoke.h).
 */
#include "invoke.h"

#include <stdlib.h>

#include "buf.h"
#include "dispatch.h"
#include "proto.h"
#include "skill.h"
#include "ss_limits.h"
#include "ssml.h"

enum { INVOKE_FAILED = 1, INVOKE_USAGE = 2 };

int
invoke_run(const struct invoke_config *cfg)
{
    struct skill skill;
    struct ss_error err;
    struct buf body = BUF_INIT(LIMIT_BODY_BYTES);
    struct runtime rt = {0};
    struct dispatch_result res;
    int rc = INVOKE_USAGE;

    ss_error_clear(&err);
    if (skill_load(cfg->skills_dir, cfg->skill, &skill, &err) != SS_ERR_OK) {
        fprintf(cfg->err, "skillserver: %s\n", err.msg);
        return INVOKE_USAGE;
    }
    if (buf_read_path(&body, cfg->input, &err) != SS_ERR_OK) {
        fprintf(cfg->err, "skillserver: %s\n", err.msg);
        goto out;
    }
    struct runtime_config rc_cfg = cfg->runtime;
    rc_cfg.workers = 1;
    /* One request: the zygote answers it itself, without forking a worker
     * for it (a fork and its copy-on-write faults, and one more process to
     * end, about 3 ms of the command's 35). */
    rc_cfg.one_call = true;
    rc_cfg.launcher_fd = -1;
    /* libxml2 and the schema load on a thread of their own while the skill
     * starts, from the moment its process runs: started earlier, the
     * loader's mmaps contend with the spawn of the sandbox (which shares
     * this process's memory until its exec) and delay the whole start. */
    rc_cfg.zygote_spawned = ssml_preload;
    if (runtime_open(&rt, &rc_cfg, &err) != SS_ERR_OK) {
        fprintf(cfg->err, "skillserver: %s\n", err.msg);
        rc = INVOKE_FAILED;
        goto out;
    }
    struct dispatch_ctx ctx = {.pool = rt.pool,
                               .store = rt.store,
                               .dev = rc_cfg.dev,
                               .pretty = !cfg->compact,
                               .explain = true};
    struct request parsed;
    enum ss_err e =
        dispatch_check(&VERIFY_POLICY_LOCAL, &skill, buf_str(&body), body.len, &parsed, &res);
    if (e == SS_ERR_OK) {
        /* The skill starts first, and the request arrives when it is ready,
         * as in serve, where skills start before requests reach them: its
         * cold start (sandbox, Python, the skill's import, which has a
         * limit of its own) must not eat the handler's deadlines. A skill
         * that does not load is remembered by the pool; one that could not
         * start at all is not started a second time. */
        struct ss_error start_err;
        enum ss_err started = pool_start(rt.pool, &skill, NULL, &start_err);
        if (started != SS_ERR_OK && started != SS_ERR_SKILL_LOAD)
            ctx.start_error = &start_err;
        int64_t arrival = proto_now_ms();
        e = dispatch_run_parsed(&ctx, &skill, buf_str(&body), body.len, &parsed, arrival, &res);
    }
    if (res.status >= 400) {
        fprintf(cfg->err, "skillserver: this is not a request %s can answer: %s\n", skill.name,
                res.error.msg);
        rc = INVOKE_USAGE;
    } else if (!res.body) {
        fprintf(cfg->err, "skillserver: out of memory\n");
        rc = INVOKE_FAILED;
    } else {
        fwrite(res.body, 1, res.len, cfg->out);
        fputc('\n', cfg->out);
        rc = fflush(cfg->out) == 0 && e == SS_ERR_OK ? 0 : INVOKE_FAILED;
    }
    dispatch_result_cleanup(&res);
out:
    runtime_close(&rt);
    buf_reset(&body);
    skill_cleanup(&skill);
    return rc;
}
