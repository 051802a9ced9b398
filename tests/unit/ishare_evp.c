// SPDX-License-Identifier: GPL-2.0-or-later OR Apache-2.0
/*
 * ishare_evp.c - lib/ishare.c as an OpenSSL built without its deprecated
 * calls compiles it: <openssl/sha.h> then declares no SHA256_Init, and
 * the hashes go through EVP.  unit/test_ishare_evp links this copy ahead
 * of liberofs.a, so its tests run the EVP path.
 */
#include "config.h"	/* before any system header */
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED
#include <openssl/sha.h>
#ifndef OPENSSL_NO_DEPRECATED_3_0
#error "this OpenSSL still declares SHA256_Init: the EVP path is not tested"
#endif
#include "../../lib/ishare.c"
