// El lector más simple posible con el consumidor de Java de Kafka (kafka-clients, el mismo cliente
// que usa por dentro el conector de Kafka de Flink). Lee el tópico entero desde el principio hasta
// el último offset que tenía al empezar, sin decodificar nada: solo cuenta registros y bytes.
// Uso:  java -cp <jars de kafka> LecturaCruda.java <bootstrap> <tópico>
// Imprime una línea JSON: registros, bytes, segundos (del primer poll al último registro) y los
// CPU-s que gastó la JVM en ese tramo.
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class LecturaCruda {
    public static void main(String[] args) {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("enable.auto.commit", "false");
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        props.put("receive.buffer.bytes", "2097152");  // como kafka-consumer-perf-test
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(args[1])) {
                parts.add(new TopicPartition(info.topic(), info.partition()));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> ends = consumer.endOffsets(parts);
            long expected = 0;
            for (long end : ends.values()) expected += end;
            long records = 0, bytes = 0;
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpuBegan = os.getProcessCpuTime();
            long began = System.nanoTime();
            while (records < expected) {
                ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(500));
                for (ConsumerRecord<byte[], byte[]> record : batch) {
                    records++;
                    bytes += record.serializedValueSize();
                }
                if (System.nanoTime() - began > 600_000_000_000L) break;  // 10 min: algo anda mal
            }
            double seconds = (System.nanoTime() - began) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpuBegan) / 1e9;  // todos los hilos de la JVM
            System.out.printf(java.util.Locale.ROOT,
                "{\"records\": %d, \"bytes\": %d, \"seconds\": %.4f, \"expected\": %d, "
                + "\"cpu_seconds\": %.3f}%n", records, bytes, seconds, expected, cpu);
        }
    }
}
