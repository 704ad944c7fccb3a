defmodule Golden.RestForOne.OtherSupervisors do
  def tasks, do: Task.Supervisor.start_link(name: Golden.RestForOne.Tasks, max_restarts: 3)

  def partitions do
    PartitionSupervisor.start_link(child_spec: Task.Supervisor, name: Golden.RestForOne.Partitions)
  end

  def registry, do: Registry.start_link(keys: :unique, name: Golden.RestForOne.Names)
end
