/** The platform's version: in every log line (on the root logger), the API's OpenAPI document and npm start's banner. */
export const VERSION = "0.1.0";
