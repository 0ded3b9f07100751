import os

from django.core.wsgi import get_wsgi_application

from kat_clinic.serving_gc import tune_for_serving

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kat_clinic.settings")
application = get_wsgi_application()
# The garbage collector set for a long-running server, once the application is loaded.
tune_for_serving()
