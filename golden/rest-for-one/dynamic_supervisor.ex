defmodule Golden.RestForOne.DynamicSupervisor do
  use DynamicSupervisor

  def start_link(arg), do: DynamicSupervisor.start_link(__MODULE__, arg, name: __MODULE__)

  def start_plain, do: DynamicSupervisor.start_link(strategy: :one_for_one, name: Golden.RestForOne.Plain)

  @impl true
  def init(_arg), do: DynamicSupervisor.init(strategy: :one_for_one, max_children: 10)
end
