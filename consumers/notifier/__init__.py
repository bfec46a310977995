"""The notifier: renders notices with Jinja2 and delivers them over SMTP or to the outbox."""
