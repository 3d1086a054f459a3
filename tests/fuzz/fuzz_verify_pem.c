/*
 * fuzz_verify_pem.c - the PEM chain loader (verify_chain_parse), which reads
 * downloaded bytes and files from the cache folder, and the checks run on
 * whatever it accepts (verify_chain_check against the system trust store).
 *
 * The input is the chain file as it would come off the network.
 */
#include <stdint.h>
#include <stdlib.h>

#include "verify.h"

static struct verify_ctx *ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct verify_chain *chain = NULL;
    enum verify_reason reason;
    struct ss_error err;

    if (!ctx) {
        /* Built once and kept: the trust store is what a server would hold. */
        struct verify_config cfg = {0};
        ctx = verify_ctx_create(&cfg, &err);
        if (!ctx)
            abort();
    }
    if (verify_chain_parse((const char *)data, size, &chain, &reason, &err) != SS_ERR_OK) {
        if (chain || (reason != VERIFY_R_CHAIN_PARSE && reason != VERIFY_R_CERT_KEY))
            abort();
        return 0;
    }
    /* Any time: the checks must reject or accept, never crash. */
    verify_chain_check(ctx, chain, 1700000000, &reason, &err);
    verify_chain_destroy(chain);
    return 0;
}
