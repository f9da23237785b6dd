package auth

import "crypto/hmac"

// Browser-form uploads (POST Object) carry their signature in form fields,
// not in headers: the string to sign is the base64 policy document itself,
// signed with the ordinary SigV4 signing key of the credential's scope.
// The form parsing lives in package s3api, which words its errors as S3
// does for POST; this file only holds the cryptography.

// Algorithm is the only x-amz-algorithm a POST form may name.
const Algorithm = algV4

// PostPolicySignature returns the SigV4 signature of a POST policy: HMAC
// with the signing key of secret, scope date (yyyymmdd) and region over
// the policy's base64 text.
func PostPolicySignature(secret, date, region, policy string) []byte {
	return hmacSHA256(signingKey(secret, date, region), []byte(policy))
}

// VerifyPostPolicy reports whether sig (raw bytes) is the signature of
// policy for that secret and scope, compared in constant time.
func VerifyPostPolicy(secret, date, region, policy string, sig []byte) bool {
	return hmac.Equal(PostPolicySignature(secret, date, region, policy), sig)
}
