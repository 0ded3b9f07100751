FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput -v0
# The web container applies migrations and seeds the demo once the database is healthy.
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py seed_demo && gunicorn kat_clinic.wsgi:application --bind 0.0.0.0:8000"]
