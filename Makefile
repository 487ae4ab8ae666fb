# make run  — set up and serve the demo site on http://127.0.0.1:8000
# make test — set up and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_WORKERS ?= auto

.PHONY: install run test lint format clean bench bench-wagtail check-deploy bandit backup restore load faults lighthouse html-check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_demo
	@echo ""
	@echo "创建自己的管理员账号：DJANGO_DEBUG=1 $(BIN)/python manage.py createsuperuser"
	@echo "网站地址：http://127.0.0.1:8000/   按 Ctrl+C 停止"
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:8000

test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Every page type through the Nu Html Checker (vnu-jar from npm into .cache/vnu/, needs Java).
html-check: $(STAMP)
	$(BIN)/python -m pytest -p no:xdist -rs tests/portal/test_html_valid.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

# Django's deployment checks with the values production sets (README, 部署 step 3).
check-deploy: $(STAMP)
	DJANGO_DEBUG= \
	DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	DJANGO_ALLOWED_HOSTS=dj.example.gov.cn \
	DJANGO_CSRF_TRUSTED_ORIGINS=https://dj.example.gov.cn \
	DJANGO_BEHIND_TLS_PROXY=1 \
	DATABASE_URL=postgres://dangjian@127.0.0.1:5432/dangjian \
	REDIS_URL=redis://127.0.0.1:6379/0 \
	DJANGO_ADMIN_URL=houtai-check/ \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# High-severity findings of bandit (ruff's S rules catch the rest in make lint).
bandit: $(STAMP)
	$(BIN)/bandit --quiet --recursive portal articles alliances --severity-level high

# One archive of the database (all apps) and the uploaded files; restore into an empty site.
# The development site by default; with production's environment loaded (a secret key set),
# that site (README, 备份与恢复).
BACKUP_DIR ?= backups
SITE_DEBUG = DJANGO_DEBUG=$${DJANGO_DEBUG-$$(test -n "$$DJANGO_SECRET_KEY" || echo 1)}
backup: $(STAMP)
	$(SITE_DEBUG) $(BIN)/python manage.py backup_site --output-dir $(BACKUP_DIR)

restore: $(STAMP)
	@test -n "$(FILE)" || { echo "用法：make restore FILE=backups/备份文件.tar.gz"; exit 2; }
	$(SITE_DEBUG) $(BIN)/python manage.py restore_site "$(FILE)"

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles *.egg-info

# Benchmark on PostgreSQL + Redis with gunicorn and wrk (see bench/run.py); takes a while.
bench: $(STAMP)
	$(BIN)/python bench/run.py

# Lighthouse, mobile and desktop, on the demo behind the shipped nginx config (bench/lighthouse.py).
lighthouse: $(STAMP)
	$(BIN)/python -m bench.lighthouse

# Our search beside a minimal Wagtail site's on the same data (bench/wagtail_search.py).
bench-wagtail: $(STAMP)
	$(BIN)/python bench/wagtail_search.py

# 64 connections for 60 s plus secretaries' writes: 0 errors, exact view counts (bench/load.py).
load: $(STAMP)
	$(BIN)/python -m bench.load

# Redis, then PostgreSQL stopped under a running site; private servers, needs root (bench/faults.py).
faults: $(STAMP)
	$(BIN)/python -m bench.faults
