"""Plugins over HTTP: the list, enable/disable, config checked against the manifest, and the
supervised runner (its state in every Plugin, restart, the tail of its log), and the files of
their pages."""

from faceforge import plugins, runners, validate
from faceforge.errors import Conflict
from faceforge.web import params, static

# A plugin's page may be framed by the UI (the entity tab), never by another site.
PAGE_SECURITY_POLICY = "frame-ancestors 'self'"

DEFAULT_TAIL_LINES = 200


def plugins_dir(services):
    return services.config.home.plugins_dir


def with_runner(services, plugin: dict) -> dict:
    """The Plugin with its runner's state (null when Core supervises no runner for it)."""
    return {**plugin, "runner": services.runners.status(plugin["plugin_id"])}


def list_plugins(services):
    listed = plugins.list_plugins(services.db, plugins_dir(services))
    return {"items": [with_runner(services, plugin) for plugin in listed["items"]]}


def set_enabled(services, plugin_id: str, enabled: bool) -> dict:
    plugin = plugins.set_enabled(services.db, plugins_dir(services), plugin_id, enabled)
    services.runners.sync()
    return with_runner(services, plugin)


def enable(services, plugin_id):
    return set_enabled(services, plugin_id, True)


def disable(services, plugin_id):
    return set_enabled(services, plugin_id, False)


def plugin_with_runner(services, plugin_id: str) -> dict:
    """The Plugin of an enabled plugin that declares a runner; 409 otherwise."""
    plugin = plugins.get_plugin(services.db, plugins_dir(services), plugin_id)
    if plugin_id not in services.runners.wanted():
        raise Conflict(f"Plugin {plugin_id} is not enabled or declares no runner")
    return plugin


def restart(services, plugin_id):
    plugin = plugin_with_runner(services, plugin_id)
    services.runners.restart(plugin_id)
    return with_runner(services, plugin)


def runner_log(services, plugin_id):
    lines = params.optional_integer(
        params.query(), "lines", DEFAULT_TAIL_LINES, 1, runners.MAX_TAIL_LINES
    )
    plugins.get_plugin(services.db, plugins_dir(services), plugin_id)  # 404 for an unknown id
    log_lines = runners.tail(services.config.home.logs_dir, plugin_id, lines)
    return {"plugin_id": plugin_id, "lines": log_lines}


def get_config(services, plugin_id):
    return plugins.get_config(services.db, plugins_dir(services), plugin_id)


def put_config(services, plugin_id):
    request = params.json_body(services)
    config = validate.json_object(validate.required(request, "config"), ("body", "config"))
    return plugins.put_config(services.db, plugins_dir(services), plugin_id, config)


def page(services, plugin_id, path):
    """A file of an enabled plugin's pages, behind the token like the API: the page is
    same-origin and uses the signed-in session (docs/plugins.md, "Trust")."""
    response = static.node_response(
        plugins.page_file(services.db, plugins_dir(services), plugin_id, path)
    )
    response.set_header("Content-Security-Policy", PAGE_SECURITY_POLICY)
    return response
