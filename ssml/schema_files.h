/*
 * schema_files.h - the schema documents compiled into the library.
 *
 * The table is generated at build time by embed_schema.py from the .xsd
 * files beside this header; the first entry is the main schema. Each text
 * is NUL-terminated; len does not count the NUL.
 */
#ifndef SKILLSERVER_SSML_SCHEMA_FILES_H
#define SKILLSERVER_SSML_SCHEMA_FILES_H

#include <stddef.h>

struct ssml_schema_file {
    const char *name; /* base name, as schemaLocation refers to it */
    const char *text;
    size_t len;
};

extern const struct ssml_schema_file ssml_schema_files[];
extern const size_t ssml_schema_file_count;

#endif
