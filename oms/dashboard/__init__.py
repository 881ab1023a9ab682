"""The staff dashboard: server-rendered pages with htmx, behind the roles of oms.roles."""
