/*
 * common.h - macros every public header needs: symbol export, warnings on
 * ignored results, and the library version (<ksef/version.h>).
 */
#ifndef KSEF_COMMON_H
#define KSEF_COMMON_H

#include <stddef.h>
#include <ksef/version.h>

#ifdef __cplusplus
#define KSEF_BEGIN_DECLS extern "C" {
#define KSEF_END_DECLS }
#else
#define KSEF_BEGIN_DECLS
#define KSEF_END_DECLS
#endif

/* The library is built with -fvisibility=hidden: only KSEF_API is exported. */
#if defined(__GNUC__) || defined(__clang__)
#define KSEF_API __attribute__((visibility("default")))
#define KSEF_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define KSEF_API
#define KSEF_WARN_UNUSED
#endif

KSEF_BEGIN_DECLS

/**
 * The version of the library that is running, which may be newer than the
 * headers a program was compiled with (KSEF_VERSION_NUMBER). A program
 * that needs a feature added in a later minor version checks this at run
 * time: `if (ksef_version() < 0x000300) ...`.
 *
 * @return the version as 0xMMmmpp: major, minor and patch, a byte each.
 */
KSEF_API int ksef_version(void);

/**
 * The running library's version as text.
 *
 * @return a static string such as "0.2.0".
 */
KSEF_API const char *ksef_version_string(void);

/**
 * Prepare the libraries libksef stands on (libxml2's parser and its
 * network-refusing entity loader, OpenSSL). Call it once from the main
 * thread before any other thread uses libksef; later calls do nothing.
 *
 * @return 0, or KSEF_ENOMEM.
 */
KSEF_API KSEF_WARN_UNUSED int ksef_global_init(void);

/**
 * Release what ksef_global_init() set up. Call it last, after every other
 * libksef object is freed and no other thread uses the library.
 */
KSEF_API void ksef_global_cleanup(void);

KSEF_END_DECLS

#endif
