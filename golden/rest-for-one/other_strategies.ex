defmodule Golden.RestForOne.OtherStrategies do
  def all, do: Supervisor.start_link([Golden.RestForOne.A, Golden.RestForOne.B], strategy: :one_for_all)
  def rest, do: Supervisor.start_link([Golden.RestForOne.A, Golden.RestForOne.B], strategy: :rest_for_one)
  def single, do: Supervisor.start_link([Golden.RestForOne.A], strategy: :one_for_one)
  def none, do: Supervisor.start_link([], strategy: :one_for_one)
  def computed(strategy), do: Supervisor.start_link([Golden.RestForOne.A, Golden.RestForOne.B], strategy: strategy)
  def given(children), do: Supervisor.start_link(children, strategy: :one_for_one)
end
