defmodule Golden.GodModule.Documented do
  @moduledoc """
  Long because it is documented, not because it does too much.

  Documentation attributes, blank lines and comments are not lines of code.
  """

  @typedoc "A thing."
  @type t :: term()

  @doc """
  Returns one.

  Always one.
  """
  def a, do: 1

  @doc false
  def b, do: 2

  # a comment
  # another comment
  # and another
end
