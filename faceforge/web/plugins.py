"""Plugins over HTTP: the list, enable/disable, and config checked against the manifest."""

from faceforge import plugins, validate
from faceforge.web import params


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
