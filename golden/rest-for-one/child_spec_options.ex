defmodule Golden.RestForOne.ChildSpecOptions do
  # The children's own strategies are theirs; the supervisor is :one_for_all.
  def start_link do
    children = [
      {DynamicSupervisor, strategy: :one_for_one, name: Golden.RestForOne.ChildSpecOptions.Dyn},
      {PartitionSupervisor, child_spec: DynamicSupervisor, name: Golden.RestForOne.ChildSpecOptions.Parts},
      {Task.Supervisor, name: Golden.RestForOne.ChildSpecOptions.Tasks}
    ]

    Supervisor.start_link(children, strategy: :one_for_all)
  end
end
