"""Loaded by schemathesis in the fuzz test (SCHEMATHESIS_HOOKS): tus PATCH and creation bodies
are `application/offset+octet-stream`, plain bytes that schemathesis only knows by the name
`application/octet-stream`."""

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
