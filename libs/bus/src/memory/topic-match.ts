/**
 * RabbitMQ topic-exchange matching: words are separated by ".", "*" matches exactly one word and "#" zero or more.
 */
export function topicMatches(pattern: string, routingKey: string): boolean {
  return match(pattern.split("."), 0, routingKey.split("."), 0);
}

function match(p: readonly string[], i: number, k: readonly string[], j: number): boolean {
  for (; i < p.length; i++, j++) {
    const word = p[i];
    if (word === "#") {
      // Collapse consecutive "#"; then try every split point of the remaining words.
      while (p[i + 1] === "#") i++;
      if (i === p.length - 1) return true;
      for (let skip = j; skip <= k.length; skip++) if (match(p, i + 1, k, skip)) return true;
      return false;
    }
    if (j >= k.length) return false;
    if (word !== "*" && word !== k[j]) return false;
  }
  return j === k.length;
}
