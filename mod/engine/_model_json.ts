/**
 * The Keras-style JSON topology of a functional `tf.LayersModel` (`model.toJSON(null, false)`),
 * as far as `fold.ts` and `_tf_graph.ts` read it. Private to the engine.
 *
 * @module
 */

/** One layer of the topology: its class, snake-case config and the layers it reads. */
export interface LayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, Record<string, unknown>][][];
}

/** A functional model's topology. */
export interface ModelJson {
  class_name: string;
  config: {
    name: string;
    layers: LayerJson[];
    input_layers: [string, number, number][];
    output_layers: [string, number, number][];
  };
}
