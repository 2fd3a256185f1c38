// SPDX-License-Identifier: MIT
/*
 * The kTLS servers' common part: GnuTLS's credentials and the loopback
 * listener, a GnuTLS session's keys pushed to the kernel (TLS_RX/TLS_TX) for
 * the three ciphers Debian's 6.1 kernel has, what a TLS_LUA_CMSG recvmsg says,
 * and the reason phrases of the status codes the routers give.
 */
#ifndef KTLS_COMMON_H
#define KTLS_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "../tls/tls_lua_abi.h"

#define KTLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:" \
	"+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305"

/* GnuTLS with the server's certificate and key; says which files failed. */
static inline int ktls_credentials(const char *server, const char *cert,
				   const char *key,
				   gnutls_certificate_credentials_t *creds)
{
	if (gnutls_global_init() < 0 ||
	    gnutls_certificate_allocate_credentials(creds) < 0 ||
	    gnutls_certificate_set_x509_key_file(*creds, cert, key,
						 GNUTLS_X509_FMT_PEM) < 0) {
		fprintf(stderr, "%s: cannot load %s / %s\n", server, cert, key);
		return -1;
	}
	return 0;
}

/*
 * A listening TCP socket on 127.0.0.1:port; type may add SOCK_NONBLOCK,
 * reuseport lets several listeners share the port (one per event loop).
 */
static inline int ktls_listen(const char *server, int port, int type,
			      int reuseport, int backlog)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | type, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (reuseport &&
	     setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))) ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(fd, backlog)) {
		fprintf(stderr, "%s: listen: %s\n", server, strerror(errno));
		return -1;
	}
	return fd;
}

static inline const char *http_reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	}
	return "Internal Server Error";
}

union crypto_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

/* One direction's keys from GnuTLS, as the kernel wants them. */
static inline int push_keys(int fd, gnutls_session_t s, int read)
{
	gnutls_datum_t mac, iv, key;
	unsigned char seq[8];
	union crypto_info ci;
	int tls13 = gnutls_protocol_get_version(s) == GNUTLS_TLS1_3;
	socklen_t len;

	errno = EINVAL;
	if (gnutls_record_get_state(s, read, &mac, &iv, &key, seq) < 0)
		return -1;
	memset(&ci, 0, sizeof(ci));
	ci.info.version = tls13 ? TLS_1_3_VERSION : TLS_1_2_VERSION;
	switch (gnutls_cipher_get(s)) {
	case GNUTLS_CIPHER_AES_128_GCM:
		ci.info.cipher_type = TLS_CIPHER_AES_GCM_128;
		/* TLS 1.2: explicit nonce starts at the sequence number. */
		memcpy(ci.gcm128.iv, tls13 ? iv.data + 4 : seq, 8);
		memcpy(ci.gcm128.salt, iv.data, 4);
		memcpy(ci.gcm128.key, key.data, 16);
		memcpy(ci.gcm128.rec_seq, seq, 8);
		len = sizeof(ci.gcm128);
		break;
	case GNUTLS_CIPHER_AES_256_GCM:
		ci.info.cipher_type = TLS_CIPHER_AES_GCM_256;
		memcpy(ci.gcm256.iv, tls13 ? iv.data + 4 : seq, 8);
		memcpy(ci.gcm256.salt, iv.data, 4);
		memcpy(ci.gcm256.key, key.data, 32);
		memcpy(ci.gcm256.rec_seq, seq, 8);
		len = sizeof(ci.gcm256);
		break;
	case GNUTLS_CIPHER_CHACHA20_POLY1305:
		ci.info.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
		memcpy(ci.chacha.iv, iv.data, 12);
		memcpy(ci.chacha.key, key.data, 32);
		memcpy(ci.chacha.rec_seq, seq, 8);
		len = sizeof(ci.chacha);
		break;
	default:
		return -1;
	}
	return setsockopt(fd, SOL_TLS, read ? TLS_RX : TLS_TX, &ci, len);
}

/* TLS 1.2/1.3 record types (the kernel's TLS_GET_RECORD_TYPE cmsg). */
#define KTLS_RECORD_DATA	23

/*
 * The hook's decision in a TLS_LUA_CMSG recvmsg, or NULL when the bytes
 * came without one; *type: the record's type (data unless said otherwise).
 */
static inline const struct tls_lua_decision *ktls_decision(struct msghdr *msg,
							    int *type)
{
	const struct tls_lua_decision *d = NULL;
	struct cmsghdr *c;

	*type = KTLS_RECORD_DATA;
	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_TLS)
			continue;
		if (c->cmsg_type == TLS_GET_RECORD_TYPE)
			*type = *CMSG_DATA(c);
		else if (c->cmsg_type == TLS_LUA_DECISION)
			d = (const struct tls_lua_decision *)CMSG_DATA(c);
	}
	return d;
}

#endif /* KTLS_COMMON_H */
