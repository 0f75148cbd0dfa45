"""No personal data in logs: a logging filter that masks every ID-number-like and
mobile-like string of a record — its message with arguments, exception text and stack —
before any handler writes it. The patterns are those of the audit log
(`unions.audit.scrub`), so what the audit log would mask, the logs mask too.

Installed on every handler of `LOGGING` (handlers see the records their loggers' children
propagate; logger filters would not), and on Celery's through `setup_logging`
(registry/celery.py), which hands the worker Django's configuration."""

import logging


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from registry.masking import scrub

        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is
            message = str(record.msg)
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
            # Handlers that format exceptions themselves read exc_info: keep the type,
            # drop the live exception whose text (and traceback locals) hold the data.
            record.exc_info = None
            record.msg = f"{record.msg}\n{record.exc_text}"
            record.exc_text = None
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
