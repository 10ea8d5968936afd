package jirakey

// denyList holds the project parts of strings that are shaped like keys
// but, in a pull request, almost always name a standard, an encoding, an
// algorithm, a protocol version, a security advisory or a licence:
// UTF-8, ISO-8601, SHA-256, TLS-1.3 (also a version), CVE-2024-1234,
// GPL-3. Transitioning "issue" SHA-256 would be worse than missing a real
// key, so an Extractor drops keys of these projects unless its allow-list
// names the project or the key is in a Jira link.
//
// Single letters such as the X of X-1 are absent because a project key
// has at least two characters. Entries are upper case.
var denyList = map[string]bool{
	// Standards and the bodies that number them: ISO-8601, RFC-2119,
	// IEEE-754, ECMA-262, ES-2015, EN-301549, FIPS-140, PEP-8, PSR-18, SOC-2,
	// SP-800 (NIST), WCAG-21.
	"ANSI": true, "ECMA": true, "EN": true, "ES": true, "FIPS": true,
	"IEC": true, "IEEE": true, "ISO": true, "NIST": true, "PEP": true,
	"PSR": true, "RFC": true, "SOC": true, "SP": true, "WCAG": true,

	// Character encodings and code pages: UTF-8, UCS-2, CP-1252, and the
	// latin-1 and windows-1252 of branch names.
	"CP": true, "LATIN": true, "UCS": true, "UTF": true, "WINDOWS": true,

	// Algorithms and formats: SHA-256, MD-5, AES-256, RSA-2048, CRC-32,
	// MPEG-4, UUID-4, x86-64.
	"AES": true, "CRC": true, "DES": true, "MD": true, "MPEG": true,
	"RSA": true, "SHA": true, "UUID": true, "X86": true,

	// Protocols: HTTP-2, TLS-1.3, SSL-3.
	"HTTP": true, "HTTPS": true, "SSL": true, "TLS": true,

	// Vulnerabilities and advisories: CVE-2024-1234, CWE-79, CAPEC-66,
	// GHSA IDs, and Red Hat, Debian and Ubuntu advisories (RHSA-2024:1234,
	// DSA-5678-1, USN-6789-1).
	"CAPEC": true, "CVE": true, "CWE": true, "DSA": true, "GHSA": true,
	"RHSA": true, "USN": true,

	// Licences: GPL-3, LGPL-2, AGPL-3, MPL-2, EPL-2, BSD-3-Clause.
	"AGPL": true, "BSD": true, "EPL": true, "GPL": true, "LGPL": true,
	"MPL": true,

	// Everyday names with numbers: COVID-19.
	"COVID": true,
}
