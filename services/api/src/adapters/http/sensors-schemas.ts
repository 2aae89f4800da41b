import { z } from "zod";

export const tags = ["sensors"];

export const credentialsSchema = z.object({
  username: z.string().describe("MQTT username: the sensor id"),
  token: z.string().describe("MQTT password; shown only in this response, stored only as a hash"),
});
