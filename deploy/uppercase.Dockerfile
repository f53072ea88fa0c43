# The seed's uppercase service as a container image for weft-oci: FROM
# scratch, the app's weft.toml and its module; the entrypoint names the
# weft.toml, which weft-oci serves with `weft up` on 0.0.0.0:3000.
#   make build && docker build -f deploy/uppercase.Dockerfile -t registry.example.com/weft/uppercase:0.1.0 examples/uppercase
FROM scratch
COPY weft.toml uppercase.wasm /app/
ENTRYPOINT ["/app/weft.toml"]
