defmodule Golden.RestForOne.DynamicComprehension do
  def start_link(shards) do
    children = for shard <- shards, do: Supervisor.child_spec({Agent, fn -> shard end}, id: shard)
    Supervisor.start_link(children, strategy: :one_for_one)
  end
end
