"""The Flask application: one blueprint per kind of resource (see app.create_app)."""
