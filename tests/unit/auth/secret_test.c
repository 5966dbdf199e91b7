/* secret_test.c: HMAC-SHA256 against RFC 4231, SHA-256 against FIPS 180-2's examples, the
 * constant-time match, and the shape and randomness of new client ids and secrets. */
#include <criterion/criterion.h>
#include <string.h>

#include "auth/secret.h"
#include "core/b64.h"
#include "core/ids.h"

static void expect_hex(const unsigned char got[HD_SHA256_LEN], const char *want)
{
    char hex[2 * HD_SHA256_LEN + 1];
    hd_hex_encode(hex, got, HD_SHA256_LEN);
    cr_expect_str_eq(hex, want);
}

/* RFC 4231 §4.2 */
Test(secret, hmac_rfc4231_case1)
{
    unsigned char key[20], mac[HD_SHA256_LEN];
    memset(key, 0x0b, sizeof(key));
    hd_hmac_sha256(key, sizeof(key), "Hi There", 8, mac);
    expect_hex(mac, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

/* RFC 4231 §4.3: a key shorter than the output */
Test(secret, hmac_rfc4231_case2)
{
    unsigned char mac[HD_SHA256_LEN];
    const char *data = "what do ya want for nothing?";
    hd_hmac_sha256((const unsigned char *)"Jefe", 4, data, strlen(data), mac);
    expect_hex(mac, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* RFC 4231 §4.4: 50 bytes of 0xdd */
Test(secret, hmac_rfc4231_case3)
{
    unsigned char key[20], data[50], mac[HD_SHA256_LEN];
    memset(key, 0xaa, sizeof(key));
    memset(data, 0xdd, sizeof(data));
    hd_hmac_sha256(key, sizeof(key), data, sizeof(data), mac);
    expect_hex(mac, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

/* RFC 4231 §4.7: a key longer than the block size is hashed first */
Test(secret, hmac_rfc4231_case6)
{
    unsigned char key[131], mac[HD_SHA256_LEN];
    const char *data = "Test Using Larger Than Block-Size Key - Hash Key First";
    memset(key, 0xaa, sizeof(key));
    hd_hmac_sha256(key, sizeof(key), data, strlen(data), mac);
    expect_hex(mac, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

Test(secret, hmac_empty_key_and_message)
{
    unsigned char mac[HD_SHA256_LEN];
    hd_hmac_sha256(NULL, 0, NULL, 0, mac);
    expect_hex(mac, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

Test(secret, sha256_known_digests)
{
    unsigned char h[HD_SHA256_LEN];
    hd_secret_hash("abc", 3, h);
    expect_hex(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hd_secret_hash("", 0, h);
    expect_hex(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* only len bytes count */
    hd_secret_hash("abcdef", 3, h);
    expect_hex(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

Test(secret, matches_only_the_same_secret)
{
    char secret[HD_SECRET_TEXT_BUF];
    unsigned char h[HD_SHA256_LEN];
    hd_secret_new(secret);
    hd_secret_hash(secret, strlen(secret), h);
    cr_expect(hd_secret_matches(secret, strlen(secret), h));
    cr_expect_not(hd_secret_matches(secret, strlen(secret) - 1, h));
    cr_expect_not(hd_secret_matches("", 0, h));
    secret[10] ^= 1;
    cr_expect_not(hd_secret_matches(secret, strlen(secret), h));
}

Test(secret, client_id_shape)
{
    char a[HD_CLIENT_ID_BUF], b[HD_CLIENT_ID_BUF];
    hd_secret_new_client_id(a);
    hd_secret_new_client_id(b);
    cr_assert_eq(strlen(a), 27);
    cr_assert_eq(strncmp(a, "hk_", 3), 0);
    for (size_t i = 3; i < 27; i++)
        cr_expect(strchr("0123456789abcdef", a[i]) && a[i], "char %zu of %s", i, a);
    cr_expect_str_neq(a, b);
}

Test(secret, new_secret_is_43_base64url_chars_of_32_bytes)
{
    char a[HD_SECRET_TEXT_BUF], b[HD_SECRET_TEXT_BUF];
    unsigned char raw[HD_B64_DECODED_SIZE(43)];
    size_t n = 0;
    hd_secret_new(a);
    hd_secret_new(b);
    cr_assert_eq(strlen(a), 43);
    cr_assert_eq(hd_b64url_decode(a, 43, raw, &n), 0);
    cr_assert_eq(n, 32);
    cr_expect_str_neq(a, b);
}
