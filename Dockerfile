# The customs-kpi image used by docker-compose.yml (consumer, simulator, topic creation).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY streams ./streams
COPY sql ./sql
RUN pip install --no-cache-dir . && useradd --create-home kpi && mkdir /data && chown kpi /data
USER kpi
ENTRYPOINT ["customs-kpi"]
