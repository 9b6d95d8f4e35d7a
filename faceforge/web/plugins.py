"""Plugins over HTTP: the list, enable/disable, config checked against the manifest, and the
files of their pages."""

from faceforge import plugins, validate
from faceforge.web import params, static

# A plugin's page may be framed by the UI (the entity tab), never by another site.
PAGE_SECURITY_POLICY = "frame-ancestors 'self'"


def plugins_dir(services):
    return services.config.home.plugins_dir


def list_plugins(services):
    return plugins.list_plugins(services.db, plugins_dir(services))


def enable(services, plugin_id):
    return plugins.set_enabled(services.db, plugins_dir(services), plugin_id, True)


def disable(services, plugin_id):
    return plugins.set_enabled(services.db, plugins_dir(services), plugin_id, False)


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
