// The example's pages call Core's API as the signed-in user: same origin, so the session cookie
// goes along and no token appears in the page.
async function call(method, path, body) {
  const reply = await fetch(path, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const envelope = await reply.json();
  if (!envelope.ok) throw new Error(envelope.error.message);
  return envelope.data;
}

function show(id, text) {
  document.getElementById(id).textContent = text;
}
