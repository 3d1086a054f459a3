/*
 * ss_limits.h - every size and time limit of skillserver in one place.
 *
 * Each limit has a one-line reason. Change a number here, never a literal
 * somewhere else: the tests read the same constants.
 */
#ifndef SKILLSERVER_LIMITS_H
#define SKILLSERVER_LIMITS_H

/* Alexa request bodies are a few KiB; 128 KiB leaves room for big APL contexts. */
#define LIMIT_BODY_BYTES (128 * 1024)

/* Alexa's envelopes nest about 10 deep; anything past 64 is hostile. */
#define LIMIT_JSON_DEPTH 64

/* Alexa rejects an outputSpeech (and a reprompt) longer than 8000 characters. */
#define LIMIT_SPEECH_CHARS 8000

/* Card title + text + image URLs together: Alexa's documented maximum. */
#define LIMIT_CARD_CHARS 8000

/* Each card image URL: Alexa's documented maximum. */
#define LIMIT_CARD_URL_CHARS 2000

/* The whole serialised response: Alexa's current hard limit (120 KB). */
#define LIMIT_RESPONSE_BYTES 122880

/* Older Alexa documents said 24 KB; above it we warn in the log. */
#define LIMIT_RESPONSE_WARN_BYTES 24576

/* userId and personId are documented as at most 255 characters. */
#define LIMIT_USER_ID_CHARS 255

/* A worker frame larger than this is a protocol error (responses are <= 120 KB,
 * persistent attributes are capped below, logs are cut into pieces). */
#define LIMIT_FRAME_BYTES (1024 * 1024)

/* One log record from a skill (a print() or a traceback) is cut at this size. */
#define LIMIT_LOG_RECORD_BYTES (16 * 1024)

/* One record of the operator's log, after escaping: longer ones are cut, so one print()
 * of a megabyte cannot become one unreadable line (LIMIT_LOG_RECORD_BYTES splits it first). */
#define LIMIT_LOG_LINE_BYTES 8192

/* A requestId as shown in the log: Alexa's are about 90 characters; a longer (hostile)
 * one is cut so it cannot crowd out the rest of the line. */
#define LIMIT_LOG_ID_BYTES 128

/* Persistent attributes per user and skill, serialised. */
#define LIMIT_ATTRIBUTES_BYTES (256 * 1024)

/* Alexa waits about 8 s; the hard deadline leaves 2 s for everything else. */
#define LIMIT_HANDLER_TIMEOUT_MS_DEFAULT 6000

/* The longest hard deadline a user may configure: Alexa gives up at 8 s. */
#define LIMIT_HANDLER_TIMEOUT_MS_MAX 60000

/* A worker must load its skill (start CPython, import) within this time. */
#define LIMIT_WORKER_START_MS 10000
/* How long a zygote that ended before its load report has for its monitor
 * to end the same way (which tells the front how it ended) before the
 * monitor is killed. */
#define LIMIT_ZYGOTE_END_MS 500

/* How long a worker told to stop has to end by itself (its skill's
 * threads and atexit functions) before it is killed. */
#define LIMIT_WORKER_FINISH_MS 2000

/* Skill names become paths and module names: short, [A-Za-z0-9_-]. */
#define LIMIT_SKILL_NAME_CHARS 64

/* A skill's own environment variables (skill.json "environment"), like a
 * Lambda function's 4 KB of configured variables: they travel to the
 * launcher in one datagram, with room to spare in its 8 KiB. */
#define LIMIT_SKILL_ENV_BYTES 4096

/* Names in a project's files (handler, code folder, region, locale). */
#define LIMIT_SKILL_FIELD_CHARS 256

/* A locale as Alexa writes it ("en-US", "es-419"), with room for longer tags. */
#define LIMIT_LOCALE_CHARS 16

/* Models one skill keeps, one per locale: Alexa has about twenty locales. */
#define LIMIT_SKILL_MODELS 32

/* Intent and slot names given on the command line. */
#define LIMIT_NAME_CHARS 128

/* Workers are recycled after this many requests, so slow leaks in a skill
 * (or a C extension) cannot grow without end. */
#define LIMIT_WORKER_REQUESTS 10000

/* A worker whose resident memory passes this after a request is recycled. */
#define LIMIT_WORKER_RSS_BYTES (256L * 1024 * 1024)

/* Until a skill saves attributes there is no database; whether another
 * process (invoke, say) made one is looked at no more often than this, not
 * once a request. */
#define LIMIT_STORE_ABSENT_RECHECK_MS 1000

/* A handler whose user's attributes another request changed meanwhile runs
 * again on the new ones at most this many times; the request's own
 * deadline bounds it too. Two requests of one user at once are rare (one
 * person, one device); in a test storm (three at once per user, each
 * attribute read before queueing for a worker) a run loses about 2 times
 * in 3, so 9 runs still left 3% of requests with an apology, 17 leave
 * fewer than 1%. */
#define LIMIT_STORE_CONFLICT_RETRIES 16

/* PostgreSQL connections one store keeps at most, by default: one for each
 * thread that calls the store at once (serve's HTTP threads). */
#define LIMIT_STORE_PG_CONNECTIONS 4

/* Connecting to PostgreSQL (TCP, TLS, authentication, the table) must end
 * within this; a database host that does not answer fails the request. */
#define LIMIT_STORE_PG_CONNECT_MS 1500

/* One statement (a key lookup or an upsert of at most 256 KiB): far longer
 * than it takes, short enough to leave the request time for an apology. */
#define LIMIT_STORE_PG_STATEMENT_MS 1500

/* After a failed connection, calls fail at once for this long before the
 * database is tried again, so an outage does not cost every request a
 * connect timeout. */
#define LIMIT_STORE_PG_RETRY_MS 500

/* Idle workers above one per skill are stopped after this long unused. */
#define LIMIT_WORKER_IDLE_MS 60000

/* After this many crashes or hard timeouts in a row a skill is broken... */
#define LIMIT_WORKER_FAILURES 5

/* ...and answers with a fixed apology for this long before it is retried. */
#define LIMIT_BROKEN_RETRY_MS 10000

/* Most workers per skill that --workers may ask for. */
#define LIMIT_WORKERS_MAX 64

/* A worker's address space: room for CPython and a skill's data, not for a
 * runaway list comprehension (it gets a MemoryError instead). */
#define LIMIT_WORKER_MEMORY_BYTES (1024L * 1024 * 1024)

/* CPU seconds over a worker's whole life: a backstop behind the deadlines. */
#define LIMIT_WORKER_CPU_SECONDS 3600

/* Open files per worker. */
#define LIMIT_WORKER_FILES 256

/* The largest file a skill may write. */
#define LIMIT_WORKER_FILE_BYTES (64L * 1024 * 1024)

/* Processes and threads of one skill together (zygote, every worker and
 * their threads): room for LIMIT_WORKERS_MAX workers and 64 threads more,
 * not for hundreds of threads in one worker or a fork bomb at import. */
#define LIMIT_SKILL_TASKS 128

/* A skill's private /tmp: enough for downloads and caches, not for filling
 * the machine's memory (tmpfs lives in RAM). */
#define LIMIT_SKILL_TMP_BYTES (64L * 1024 * 1024)

/* Files and folders in a skill's /tmp: many small files cost memory too. */
#define LIMIT_SKILL_TMP_FILES 4096

/* What a skill may print during one request (print, logging, tracebacks);
 * the rest is dropped with one line that says so. */
#define LIMIT_SKILL_LOG_BYTES_PER_REQUEST (64 * 1024)

/* A worker that sends this much log during one request is flooding the
 * server and is stopped. */
#define LIMIT_SKILL_LOG_FLOOD_BYTES (4L * 1024 * 1024)

/* Raw writes to a skill's stdout/stderr (descriptors 1 and 2, not print()):
 * at most this much logged per skill and second; the rest is dropped. */
#define LIMIT_SKILL_RAW_OUTPUT_BYTES_PER_S (16 * 1024)

/* An idle worker (between requests) that burns more CPU than this per
 * second is running something behind the server's back, and is stopped. */
#define LIMIT_WORKER_IDLE_CPU_MS_PER_S 100

/* A zygote replaced by a reload waits for its busy workers this long at
 * most (they have the hard deadline to finish), then it is killed. */
#define LIMIT_ZYGOTE_RETIRE_MS (LIMIT_HANDLER_TIMEOUT_MS_MAX + 5000)

/* --- response (server/pipeline/response/) --- */

/* AudioPlayer.Play stream.url: Alexa's documented maximum. */
#define LIMIT_AUDIO_URL_CHARS 8000

/* AudioPlayer.Play stream.token: Alexa's documented maximum. */
#define LIMIT_AUDIO_TOKEN_CHARS 1024

/* --- SSML (ssml/check.c, ssml/rules.c; spec/ssml.md) --- */

/* The whole ssml string, tags included, counted in UTF-16 code units (how
 * Alexa counts is undocumented; this is the stricter reading). */
#define LIMIT_SSML_CHARS LIMIT_SPEECH_CHARS

/* Bytes we parse at all: 8000 UTF-16 units are at most 24000 UTF-8 bytes, so
 * anything longer is already too long; we still parse up to here to report
 * more than the length, and refuse bigger input unread. */
#define LIMIT_SSML_PARSE_BYTES (64 * 1024)

/* Element nesting: real SSML nests 3 to 6 deep; past 32 is a bug or hostile. */
#define LIMIT_SSML_DEPTH 32

/* Alexa rejects a <break time> above 10 s, and pauses of consecutive breaks
 * are reported to be capped at 10 s in total too. */
#define LIMIT_SSML_BREAK_MS 10000

/* <audio> tags in one response (outputSpeech and reprompt together). */
#define LIMIT_SSML_AUDIO_TAGS 5

/* One audio file, and all audio in an outputSpeech: Alexa's maximum. */
#define LIMIT_SSML_AUDIO_MS 240000

/* All audio in a reprompt: Alexa's maximum. */
#define LIMIT_SSML_AUDIO_REPROMPT_MS 90000

/* <audio src>: Alexa's URL limit (also in the schema, ssml/alexa-ssml.xsd). */
#define LIMIT_SSML_AUDIO_SRC_CHARS 2000

/* Entries in the table of audio files with known durations. */
#define LIMIT_SSML_AUDIO_REGISTRY 1024

/* Documents found valid that each thread remembers (ssml/check.c), and the
 * longest one remembered: a skill's answers repeat a handful of documents,
 * which then skip libxml2 (15-20 us each); 64 of at most 4 KiB is at most
 * 256 KiB a thread. */
#define LIMIT_SSML_MEMO_ENTRIES 64
#define LIMIT_SSML_MEMO_BYTES 4096

/* ---- verify: request verification (spec/request-verification.md) ---- */

/* Amazon's chain file is ~6 KiB (4 certificates); spec §4 suggests a 64 KiB cap. */
#define LIMIT_VERIFY_CHAIN_BYTES (64 * 1024)

/* Certificates in one chain file: Amazon sends 4; more is not a signing chain. */
#define LIMIT_VERIFY_CHAIN_CERTS 10

/* Whole chain download, connect included: Alexa waits ~8 s for the answer (spec §4). */
#define LIMIT_VERIFY_DOWNLOAD_MS 2000

/* Request timestamp tolerance in seconds, both directions, inclusive (spec §7). */
#define LIMIT_VERIFY_TIMESTAMP_S 150

/* AlexaSkillEvent.* requests may be delivered up to an hour late (spec §7). */
#define LIMIT_VERIFY_SKILL_EVENT_S 3600

/* Chain URLs kept in memory: Amazon uses one at a time, a rotation adds one. */
#define LIMIT_VERIFY_CACHE_ENTRIES 32

/* A failed chain URL is answered from memory this long, so hostile URLs cannot hammer S3. */
#define LIMIT_VERIFY_NEGATIVE_S 10

/* A cached chain is fully re-verified at least this often (spec §4 recommends 1 h). */
#define LIMIT_VERIFY_RECHECK_S 3600

/* SignatureCertChainUrl header length; Amazon's URLs are ~60 characters. */
#define LIMIT_VERIFY_URL_CHARS 1024

/* Signature header length: an RSA-8192 signature is 1368 base64 characters. */
#define LIMIT_VERIFY_SIGNATURE_CHARS 1368

/* Smallest RSA key accepted for the signing certificate (Amazon's is 2048). */
#define LIMIT_VERIFY_RSA_BITS_MIN 2048

/* ---- lambda: `skillserver lambda`, a custom runtime on the Lambda Runtime API ---- */

/* Status line and headers of one Runtime API answer: its headers are a few hundred bytes. */
#define LIMIT_LAMBDA_HEAD_BYTES (16 * 1024)

/* An event as read from the Runtime API: Lambda's own limit for a synchronous payload
 * (6 MB). Events over LIMIT_BODY_BYTES are then refused as Alexa requests. */
#define LIMIT_LAMBDA_EVENT_BYTES (6 * 1024 * 1024)

/* Connecting to the Runtime API, which is on the same machine. */
#define LIMIT_LAMBDA_CONNECT_MS 2000

/* The Runtime API's answer to a POST (it answers 202 at once). */
#define LIMIT_LAMBDA_POST_MS 10000

/* Tries of one exchange with the Runtime API (refused, cut off, 5xx, garbage) before the
 * runtime gives up and exits, with LIMIT_LAMBDA_RETRY_MS, then twice that, between tries. */
#define LIMIT_LAMBDA_TRIES 4
#define LIMIT_LAMBDA_RETRY_MS 100

/* Kept before Lambda-Runtime-Deadline-Ms to stop the skill and post the spoken timeout
 * answer: a loopback POST and an apology take a few milliseconds. */
#define LIMIT_LAMBDA_RESERVE_MS 250

/* Lambda-Runtime-Aws-Request-Id (a UUID) and Lambda-Runtime-Trace-Id (X-Ray: ~100). */
#define LIMIT_LAMBDA_ID_CHARS 128
#define LIMIT_LAMBDA_TRACE_CHARS 512

/* ---- http: the HTTPS front (server/front/); the body limit is LIMIT_BODY_BYTES ---- */

/* Connections the kernel queues before the server accepts them. */
#define LIMIT_HTTP_LISTEN_BACKLOG 511

/* Request line plus headers: Alexa sends under 2 KiB; 8 KiB is nginx's default buffer.
 * Larger heads are answered 431. */
#define LIMIT_HTTP_HEADER_BYTES (8 * 1024)

/* A request refused from its head (or a chunked body over the limit) has the rest of its
 * body read and dropped, so the client can read the 4xx; past this the connection is cut. */
#define LIMIT_HTTP_DROP_BYTES (4 * LIMIT_BODY_BYTES)

/* Open connections, all threads together: each costs ~20 KiB (more with TLS), so 1024
 * stay under ~64 MiB; further connections wait in the listen backlog. */
#define LIMIT_HTTP_CONNECTIONS 1024

/* Open connections from one client address: Alexa keeps a few per Amazon host and
 * tests/bench opens 32, while one hostile address could otherwise hold every one of
 * LIMIT_HTTP_CONNECTIONS. Behind a proxy every connection has the proxy's address: raise
 * it with --max-connections-per-address. */
#define LIMIT_HTTP_CONNECTIONS_PER_ADDRESS 64

/* Connections to the --metrics-listen address: a scraper or two and a health check. */
#define LIMIT_HTTP_METRICS_CONNECTIONS 16

/* A kept-alive connection with no new request is closed after this long, even if it
 * trickles the next request line (Apache keeps 5 s, nginx 75 s). */
#define LIMIT_HTTP_IDLE_S 30

/* A request's head and body must arrive within this time (of accept() for a connection's
 * first request, TLS handshake included; of the request line for later ones): Alexa gives
 * up after 8 s, so a request still trickling in after 5 s is a slow-client attack. */
#define LIMIT_HTTP_RECEIVE_MS 5000

/* Fewest HTTP threads: each blocks for its request's worker round trip, so a few slow
 * handlers must not stall health checks and other skills. */
#define LIMIT_HTTP_THREADS_MIN 4

/* Most HTTP threads: past this, more skills want more workers, not more threads. */
#define LIMIT_HTTP_THREADS_MAX 64

/* On SIGTERM, requests in flight get the hard handler deadline plus this long. */
#define LIMIT_HTTP_DRAIN_EXTRA_MS 2000

/* --dev looks at up to this many files and folders of each skill once a second for a change
 * (a project with the ASK SDK vendored holds ~2,000; each costs one stat, about 1 µs). */
#define LIMIT_DEV_WATCH_ENTRIES 8192

/* ...and at most this deep below the skill's folder (a vendored package's modules ~6). */
#define LIMIT_DEV_WATCH_DEPTH 8

/* A PEM file given with --tls-cert or --tls-key (a long chain is ~10 KiB). */
#define LIMIT_TLS_PEM_BYTES (1024 * 1024)

/* Skills /metrics keeps separate counters for; further skills share the "-" row. */
#define LIMIT_METRICS_SKILLS 128

/* ---- model, matcher, say: interaction models and utterances (server/catalog/model.c, matcher.c,
 * say.c, speech.c) ---- */

/* model.json: real models with thousands of samples stay well under 1 MiB; 4 MiB stops a
 * runaway file before jansson holds it all. */
#define LIMIT_MODEL_BYTES (4 * 1024 * 1024)

/* One sample, slot value or invocation name when compared; Amazon's samples are far shorter. */
#define LIMIT_MODEL_TEXT_CHARS 1024

/* One file `skillserver new` writes from its templates: the largest is the
 * interaction model, about 1 KiB with two invocation names of at most
 * LIMIT_MODEL_TEXT_CHARS each; 16 KiB leaves room for both. */
#define LIMIT_SCAFFOLD_FILE_BYTES (16 * 1024)

/* Names considered for a "did you mean" suggestion (a model's intents, types or slots). */
#define LIMIT_MODEL_SUGGEST 256

/* Words in an utterance or a sample: people say a sentence, not a paragraph, and matching
 * costs words x tokens x span per sample. */
#define LIMIT_MATCHER_WORDS 64

/* Words one slot takes, except AMAZON.SearchQuery-like types that take the rest: longer
 * values ("the day after tomorrow", "one hundred and twenty three") fit. */
#define LIMIT_MATCHER_SLOT_WORDS 8

/* Slots filled by one utterance (Alexa models rarely have more than a handful per intent). */
#define LIMIT_MATCHER_SLOTS 16

/* A line typed into `say`'s interactive mode. */
#define LIMIT_SAY_LINE_BYTES 4096

/* Text `say` shows for one turn (and the web simulator's "said" and "notes"): words, notes
 * and, with --show, the indented JSON of each request and response, which are at most
 * LIMIT_BODY_BYTES each; a turn is one to a few steps (LIMIT_SAY_DIALOG_STEPS at most). */
#define LIMIT_SAY_TEXT_BYTES (4 * 1024 * 1024)

/* Dialog.Delegate steps Alexa takes on its own between two things the user says: one per
 * slot to elicit or confirm; a skill that delegates forever is stopped here. */
#define LIMIT_SAY_DIALOG_STEPS 16

/* espeak-ng renders a few seconds of speech in well under a second; past this it is stuck. */
#define LIMIT_ESPEAK_MS 30000

/* Values entity resolution reports for one slot: Alexa lists every value a shared synonym
 * names, and a model rarely shares one among more. */
#define LIMIT_RESOLVED_VALUES 4

/* Problems one model_check() report keeps (the rest are counted): a screenful. */
#define LIMIT_MODEL_PROBLEMS 32

/* Open SSML elements followed when turning speech into text; the checker allows 32. */
#define LIMIT_SPEECH_TAG_DEPTH 64

/* Attributes read per SSML tag; Alexa's tags have at most three. */
#define LIMIT_SPEECH_TAG_ATTRS 8

/* Text made of one answer for a person (its words, or espeak-ng's SSML of it): an answer
 * Alexa accepts is at most 8,000 characters (24,000 bytes of UTF-8), and the tags added for
 * espeak-ng stay far below the rest. */
#define LIMIT_SPEECH_TEXT_BYTES (64 * 1024)

/* ---- serve --class (server/class/README) ---- */

/* Children in one class: a school class is up to about 30; 40 leaves room for visitors. */
#define LIMIT_CLASS_CHILDREN 40

/* Sessions kept at once: every child on two devices plus a few teachers. */
#define LIMIT_CLASS_SESSIONS 128

/* A session ends this long after it began: longer than a school day. */
#define LIMIT_CLASS_SESSION_S (12 * 3600)

/* A session not used for this long ends: a lesson's break, not a night. */
#define LIMIT_CLASS_SESSION_IDLE_S (3 * 3600)

/* A child's first name, in letters: every real first name fits. */
#define LIMIT_CLASS_CHILD_NAME_CHARS 24

/* A child's skill.py from the editor: a lesson's skill is a few KiB; 64 KiB is generous
 * and keeps thirty saves a second cheap. */
#define LIMIT_CLASS_CODE_BYTES (64 * 1024)

/* Any other class request body (join, login, reset, a turn): a few short strings. */
#define LIMIT_CLASS_JSON_BYTES 4096

/* A Cookie header read: browsers send at most about 4 KiB per cookie. */
#define LIMIT_CLASS_COOKIE_BYTES 4096

/* The join code: 6 characters from 31 unambiguous ones (~2^30), easy to read off a board;
 * guessing is bounded by LIMIT_CLASS_LOGIN_TRIES. */
#define LIMIT_CLASS_CODE_CHARS 6

/* Wrong join codes or teacher passwords accepted per client address a minute. */
#define LIMIT_CLASS_LOGIN_TRIES 10

/* PBKDF2-HMAC-SHA256 rounds for the teacher's password: ~50 ms on a Raspberry Pi 4. */
#define LIMIT_CLASS_PBKDF2_ITER 100000

/* Turns kept per child for the teacher's page: "the last few things said". */
#define LIMIT_CLASS_RECENT_TURNS 5

/* Hard deadline of a class skill: children's handlers take milliseconds, and a loop must
 * give its worker back fast enough that 2 s answers hold for the rest of the class. */
#define LIMIT_CLASS_HANDLER_TIMEOUT_MS 2000

#endif
