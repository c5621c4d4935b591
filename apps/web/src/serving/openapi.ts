// The OpenAPI 3.1 description of /api/v1, written by hand from the same constants the handlers
// enforce, so the stated limits are the real ones.
import { CLASS_NAMES_EN } from "@fmnist/model/classes";
import { DEFAULT_SEGMENTATION, SEGMENTATIONS } from "~/classify/protocol";
import { batchingConfig, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, MAX_INSTANCES, MAX_JSON_BYTES } from "./limits";

const error = { $ref: "#/components/schemas/Error" };
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      {
        description: {
          400: "Bad input (wrong shape or type, value outside [0,1], not JSON, undecodable image); the message says which",
          401: "FMNIST_SERVE_TOKEN is set and the request lacks it",
          404: "Unknown model, version or alias",
          405: "Wrong HTTP method for this path",
          409: "The version cannot be served (no exported model, wrong input shape)",
          413: `Too large: body over ${MAX_JSON_BYTES / 1024 / 1024} MB (JSON) or ${MAX_IMAGE_BYTES / 1024 / 1024} MB (photo), more than ${MAX_INSTANCES} instances, or over ${MAX_IMAGE_PIXELS / 1e6} megapixels`,
          415: "Not a PNG, JPEG, WebP or GIF picture (or JSON sent to the photo endpoint)",
          503: "The prediction queue is full; retry after the Retry-After seconds",
        }[c],
        content: { "application/json": { schema: error } },
        ...(c === 503 ? { headers: { "Retry-After": { schema: { type: "integer" }, description: "seconds" } } } : {}),
      },
    ]),
  );

const refParams = (kind: "alias" | "version") => [
  { name: "name", in: "path", required: true, schema: { type: "string", pattern: "^[a-z0-9][a-z0-9._-]{0,63}$" }, example: "fashion-classifier" },
  kind === "alias"
    ? { name: "alias", in: "path", required: true, schema: { type: "string", pattern: "^[a-z][a-z0-9_-]{0,31}$" }, example: "production" }
    : { name: "version", in: "path", required: true, schema: { type: "integer", minimum: 1 }, example: 1 },
];

function operations(kind: "alias" | "version") {
  const label = kind === "alias" ? "the version an alias points at" : "a version by number";
  const parameters = refParams(kind);
  return {
    metadata: {
      get: {
        summary: `Metadata of ${label}`,
        description: "Loads the version into memory if needed (the readiness probe of a serving replica).",
        parameters,
        responses: { 200: { description: "Metadata", content: { "application/json": { schema: { $ref: "#/components/schemas/Metadata" } } } }, ...errors(404, 409) },
      },
    },
    predict: {
      post: {
        summary: `Predict with ${label} (TensorFlow Serving REST format)`,
        description: `Up to ${MAX_INSTANCES} instances and ${MAX_JSON_BYTES / 1024 / 1024} MB per request. Concurrent requests are predicted as one batch (at most ${batchingConfig().maxBatch} images): ${batchingConfig().windowMs > 0 ? `the first waits ${batchingConfig().windowMs} ms for others` : "a batch starts as soon as the previous one ends, with every request that arrived meanwhile"}; when ${batchingConfig().maxQueue} images wait, new requests get 503 with Retry-After.`,
        parameters,
        security: [{}, { serveToken: [] }],
        requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/PredictRequest" } } } },
        responses: { 200: { description: "Probabilities", content: { "application/json": { schema: { $ref: "#/components/schemas/PredictResponse" } } } }, ...errors(400, 401, 404, 409, 413, 415, 503) },
      },
    },
    classify: {
      post: {
        summary: `Classify a photo with ${label}`,
        description: `The photo's bytes (PNG, JPEG, WebP, GIF; at most ${MAX_IMAGE_BYTES / 1024 / 1024} MB and ${MAX_IMAGE_PIXELS / 1e6} megapixels) or a multipart form with one file. It goes through the classify page's preprocessing (grey, invert a light background, crop to the object, pad square, 28x28 by area averaging), after EXIF orientation and, above ${MAX_IMAGE_SIDE} px on the long side, a downscale to ${MAX_IMAGE_SIDE}.`,
        parameters: [
          ...parameters,
          {
            name: "segment",
            in: "query",
            required: false,
            description: `How the item is found: "border" (the background modelled from the picture's border, a few ms), "isnet" (IS-Net's salient-object mask at 512x512, about two seconds on one core; when it cannot be loaded, the border model's view answers and preprocessing.note says why) or "both" (the two views' probabilities averaged). Default "${DEFAULT_SEGMENTATION}".`,
            schema: { type: "string", enum: [...SEGMENTATIONS], default: DEFAULT_SEGMENTATION },
          },
        ],
        security: [{}, { serveToken: [] }],
        requestBody: {
          required: true,
          content: {
            "image/*": { schema: { type: "string", format: "binary" } },
            "application/octet-stream": { schema: { type: "string", format: "binary" } },
            "multipart/form-data": { schema: { type: "object", properties: { image: { type: "string", format: "binary" } } } },
          },
        },
        responses: { 200: { description: "Class, probabilities and the preprocessing applied", content: { "application/json": { schema: { $ref: "#/components/schemas/ClassifyResponse" } } } }, ...errors(400, 401, 404, 409, 413, 415, 503) },
      },
    },
  };
}

export function openApiDocument() {
  const alias = operations("alias");
  const version = operations("version");
  const probabilities = { type: "array", items: { type: "number", minimum: 0, maximum: 1 }, minItems: 10, maxItems: 10, description: `In class order: ${CLASS_NAMES_EN.join(", ")}` };
  const topClass = {
    type: "object",
    properties: { index: { type: "integer", minimum: 0, maximum: 9 }, en: { type: "string" }, zh: { type: "string" }, probability: { type: "number" } },
  };
  const modelRef = { type: "object", properties: { name: { type: "string" }, version: { type: "integer" }, alias: { type: ["string", "null"] } } };
  const pixel = { type: "number", minimum: 0, maximum: 1 };
  return {
    openapi: "3.1.0",
    info: {
      title: "fmnist-studio model serving",
      version: "1",
      description: "Registered Fashion-MNIST models served over HTTP: metadata, JSON prediction in the TensorFlow Serving REST format, and photo classification with the classify page's preprocessing.",
    },
    paths: {
      "/api/v1/models": { get: { summary: "Registered models, versions and aliases", responses: { 200: { description: "Models", content: { "application/json": { schema: { type: "object" } } } } } } },
      "/api/v1/models/{name}@{alias}": alias.metadata,
      "/api/v1/models/{name}@{alias}:predict": alias.predict,
      "/api/v1/models/{name}@{alias}:classify": alias.classify,
      "/api/v1/models/{name}/versions/{version}": version.metadata,
      "/api/v1/models/{name}/versions/{version}:predict": version.predict,
      "/api/v1/models/{name}/versions/{version}:classify": version.classify,
    },
    components: {
      securitySchemes: { serveToken: { type: "http", scheme: "bearer", description: "Needed only when the server sets FMNIST_SERVE_TOKEN" } },
      schemas: {
        Error: { type: "object", required: ["error"], properties: { error: { type: "string" } } },
        PredictRequest: {
          type: "object",
          required: ["instances"],
          properties: {
            instances: {
              type: "array",
              minItems: 1,
              maxItems: MAX_INSTANCES,
              items: {
                oneOf: [
                  { type: "array", items: pixel, minItems: 784, maxItems: 784, description: "784 pixels, row by row, in [0,1] (0 = black background)" },
                  { type: "array", minItems: 28, maxItems: 28, items: { type: "array", minItems: 28, maxItems: 28, items: { oneOf: [pixel, { type: "array", items: pixel, minItems: 1, maxItems: 1 }] } }, description: "28x28 or 28x28x1" },
                  { type: "object", required: ["b64"], properties: { b64: { type: "string", contentEncoding: "base64" } }, description: "a PNG or JPEG, preprocessed as a photo" },
                ],
              },
            },
          },
        },
        PredictResponse: {
          type: "object",
          properties: { model: modelRef, predictions: { type: "array", items: probabilities }, classes: { type: "array", items: topClass, description: "The top class of each instance" } },
        },
        ClassifyResponse: {
          type: "object",
          properties: {
            model: modelRef,
            class: topClass,
            probabilities,
            preprocessing: {
              type: "object",
              properties: {
                width: { type: "integer" },
                height: { type: "integer" },
                format: { type: "string" },
                segmentation: { type: "string", enum: [...SEGMENTATIONS], description: "How the item was found (?segment; a 28x28 picture is taken as it is, \"border\")" },
                inverted: { type: "boolean", description: "The background was light, so the picture was inverted" },
                box: { type: "object", properties: { x: { type: "integer" }, y: { type: "integer" }, width: { type: "integer" }, height: { type: "integer" } }, description: "The object's box in the photo's pixels" },
                downscaled: { type: "boolean" },
                views: {
                  type: "array",
                  description: "Each view classified (two for segment=both, one for a 28x28 picture; box and inversion above are the first's)",
                  items: { type: "object", properties: { segmentation: { type: "string" }, box: { type: "object" }, inverted: { type: "boolean" }, probabilities } },
                },
                note: { type: "string", description: "Only when IS-Net (segment=isnet or both) could not be loaded: why, and that the border model's view alone was classified" },
              },
            },
          },
        },
        Metadata: {
          type: "object",
          properties: {
            name: { type: "string" },
            version: { type: "integer" },
            alias: { type: ["string", "null"] },
            aliases: { type: "array", items: { type: "string" } },
            inputShape: { type: "array", example: [null, 28, 28, 1] },
            classes: { type: "array", items: { type: "object", properties: { index: { type: "integer" }, en: { type: "string" }, zh: { type: "string" } } } },
            sourceRun: { type: "object", properties: { id: { type: "string" }, name: { type: "string" }, architecture: { type: "string" } } },
            testAccuracy: { type: ["number", "null"] },
            sizeBytes: { type: "integer" },
            backend: { type: "string" },
          },
        },
      },
    },
  };
}
