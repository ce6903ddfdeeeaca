# Builds one deployable of s3index: docker build --build-arg MODULE=indexer (or query-api, ops).
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -B -ntp -DskipTests package

FROM eclipse-temurin:17-jre
ARG MODULE=indexer
COPY --from=build /src/${MODULE}/target/s3index-${MODULE}-*-all.jar /app/app.jar
USER 65534
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/app.jar"]
